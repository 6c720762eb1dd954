-- Open deals in the snapshot as of $as_of with their hygiene flags (SPEC §4):
--   past_due: close_date before the as-of date;
--   pushes: moves of close_date to a later date between consecutive snapshots in which the deal
--           appears and is open in both (a date changed at closing is a record, not a push);
--   stale: stage, amount and close_date unchanged in every snapshot from t to A, A - t >= $stale_days.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
rep_team AS (SELECT rep, team FROM reps),
current AS (
    SELECT o.*, COALESCE(t.team, '(no team)') AS team
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN rep_team t ON t.rep = o.owner
    WHERE NOT o.is_closed
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
      AND (CAST($team AS VARCHAR) IS NULL
           OR COALESCE(t.team, '(no team)') = CAST($team AS VARCHAR))
),
-- Only the history of the deals listed is read: a small slice of years of snapshots. No
-- snapshot lies between the one picked and $as_of, so $as_of itself bounds the scan (a
-- constant filter, where a join on snap would compare every row); so do the ids.
history AS (
    SELECT o.opportunity_id, o.as_of, o.stage, o.amount, o.close_date, o.is_closed,
           LAG(o.close_date) OVER w AS prev_close,
           LAG(o.is_closed) OVER w AS prev_closed,
           LAG(o.stage) OVER w AS prev_stage,
           LAG(o.amount) OVER w AS prev_amount,
           LAG(o.as_of) OVER w AS prev_as_of
    FROM opportunity_snapshots o
    WHERE (CAST($as_of AS DATE) IS NULL OR o.as_of <= CAST($as_of AS DATE))
      -- [$id_lo, $id_hi] holds every id listed: row groups of older deals are skipped unread
      AND o.opportunity_id BETWEEN CAST($id_lo AS VARCHAR) AND CAST($id_hi AS VARCHAR)
      AND o.opportunity_id IN (SELECT opportunity_id FROM current)
    WINDOW w AS (PARTITION BY o.opportunity_id ORDER BY o.as_of)
),
per_deal AS (
    SELECT opportunity_id,
           count(*) FILTER (
               WHERE NOT is_closed AND NOT prev_closed AND close_date > prev_close
           ) AS pushes,
           max(as_of) FILTER (
               WHERE prev_as_of IS NULL
                  OR stage IS DISTINCT FROM prev_stage
                  OR amount IS DISTINCT FROM prev_amount
                  OR close_date IS DISTINCT FROM prev_close
           ) AS unchanged_since
    FROM history
    GROUP BY opportunity_id
)
SELECT o.opportunity_id, o.name, o.account, o.owner AS rep, o.team, o.stage, o.amount,
       o.close_date, o.forecast_category, o.created_date,
       COALESCE(o.close_date < snap.as_of, FALSE) AS past_due,
       p.pushes,
       p.pushes >= $pushed_times AS pushed,
       p.unchanged_since,
       date_diff('day', p.unchanged_since, snap.as_of) AS days_unchanged,
       date_diff('day', p.unchanged_since, snap.as_of) >= $stale_days AS stale,
       o.amount IS NULL AS missing_amount,
       o.close_date IS NULL AS missing_close_date
FROM current o
JOIN snap ON o.as_of = snap.as_of
JOIN per_deal p ON p.opportunity_id = o.opportunity_id
ORDER BY o.amount DESC NULLS LAST, o.opportunity_id
