-- Stays of deals in open stages, learned from every snapshot up to the one as of $as_of (NULL =
-- latest). A stay is a run of consecutive snapshots of one deal in the same open stage.
--   entered: first snapshot of the run; left_on: first snapshot after it (NULL: not left yet,
--   or the deal vanished from the CRM); days: left_on - entered, or as-of - entered while the
--   deal still sits in the stage (NULL when it vanished);
--   outcome: 'advanced' when the deal later reached a higher open stage or was won, else 'lost'
--   when it was later lost, 'dropped' when it vanished while open, 'open' while undecided;
--   censored: the run starts at the first snapshot ever loaded, so its real start is unknown;
--   current: the deal sits in this stage in the as-of snapshot;
--   first_stay: the deal's earliest stay in this stage (it may leave and come back).
-- Deals are attributed to the owner in their latest snapshot, filtered by $team / $rep.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
first_snap AS (
    SELECT min(as_of) AS as_of FROM snapshot_dates
),
-- Window functions over millions of snapshot rows cost seconds, so the rows are first grouped
-- per deal, stage and open/closed in one pass. Such a block is one run unless the deal left
-- it and came back (its span then overlaps the deal's next block): only those `returned`
-- deals are split into runs row by row (`row_hist`, `row_numbered`).
blocks AS (
    SELECT o.opportunity_id, o.stage, o.is_closed, min(o.stage_order) AS stage_order,
           bool_or(o.is_won) AS is_won, min(o.as_of) AS entered, max(o.as_of) AS last_seen,
           arg_max(o.owner, o.as_of) AS owner
    FROM opportunity_snapshots o, snap
    WHERE o.as_of <= snap.as_of
    GROUP BY o.opportunity_id, o.stage, o.is_closed
),
returned AS (
    SELECT DISTINCT opportunity_id
    FROM (
        SELECT opportunity_id, last_seen,
               LEAD(entered) OVER (PARTITION BY opportunity_id ORDER BY entered) AS next_entered
        FROM blocks
    )
    WHERE last_seen > next_entered
),
row_hist AS (
    SELECT o.opportunity_id, o.as_of, o.stage, o.stage_order, o.is_closed, o.is_won, o.owner,
           LAG(o.stage) OVER w AS prev_stage,
           LAG(o.is_closed) OVER w AS prev_closed
    FROM opportunity_snapshots o, snap
    WHERE o.as_of <= snap.as_of
      AND o.opportunity_id IN (SELECT opportunity_id FROM returned)
    WINDOW w AS (PARTITION BY o.opportunity_id ORDER BY o.as_of)
),
row_numbered AS (
    SELECT *,
           sum(CASE WHEN prev_stage IS NULL OR prev_stage <> stage OR prev_closed <> is_closed
                    THEN 1 ELSE 0 END)
               OVER (PARTITION BY opportunity_id ORDER BY as_of ROWS UNBOUNDED PRECEDING)
               AS run_no
    FROM row_hist
),
returned_runs AS (
    SELECT opportunity_id, min(stage) AS stage, min(stage_order) AS stage_order,
           bool_or(is_closed) AS is_closed, bool_or(is_won) AS is_won, min(as_of) AS entered,
           max(as_of) AS last_seen, arg_max(owner, as_of) AS owner
    FROM row_numbered
    GROUP BY opportunity_id, run_no
),
-- a block is the only stay of its deal in its stage, so only returned deals need numbering
runs AS (
    SELECT opportunity_id, stage, stage_order, is_closed, is_won, entered, last_seen, owner,
           TRUE AS first_stay
    FROM blocks
    WHERE opportunity_id NOT IN (SELECT opportunity_id FROM returned)
    UNION ALL
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY opportunity_id, stage, is_closed ORDER BY entered) = 1
    FROM returned_runs
),
sequenced AS (
    SELECT r.*,
           LEAD(r.entered) OVER (PARTITION BY r.opportunity_id ORDER BY r.entered) AS left_on,
           max(CASE WHEN NOT r.is_closed THEN r.stage_order END) OVER later AS later_max_order,
           bool_or(r.is_won) OVER later AS later_won,
           bool_or(r.is_closed AND NOT r.is_won) OVER later AS later_lost,
           max(r.last_seen) OVER deal AS deal_last_seen,
           arg_max(r.owner, r.last_seen) OVER deal AS deal_owner
    FROM runs r
    WINDOW later AS (
        PARTITION BY r.opportunity_id ORDER BY r.entered
        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
    ),
    deal AS (PARTITION BY r.opportunity_id)
)
SELECT q.opportunity_id, q.deal_owner AS rep, COALESCE(t.team, '(no team)') AS team,
       q.stage, q.stage_order, q.entered, q.left_on,
       date_diff('day', q.entered,
                 COALESCE(q.left_on,
                          CASE WHEN q.last_seen = snap.as_of THEN snap.as_of END)) AS days,
       CASE WHEN COALESCE(q.later_won, FALSE)
                 OR COALESCE(q.later_max_order > q.stage_order, FALSE) THEN 'advanced'
            WHEN COALESCE(q.later_lost, FALSE) THEN 'lost'
            WHEN q.deal_last_seen < snap.as_of THEN 'dropped'
            ELSE 'open' END AS outcome,
       q.entered = first_snap.as_of AS censored,
       q.left_on IS NULL AND q.last_seen = snap.as_of AS current,
       q.first_stay
FROM sequenced q
CROSS JOIN snap
CROSS JOIN first_snap
LEFT JOIN reps t ON t.rep = q.deal_owner
WHERE NOT q.is_closed
  AND (CAST($rep AS VARCHAR) IS NULL OR q.deal_owner = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL
       OR COALESCE(t.team, '(no team)') = CAST($team AS VARCHAR))
ORDER BY q.opportunity_id, q.entered
