-- Deals won with close_date in [$start, $end) in the snapshot as of $as_of (NULL = latest), each
-- marked whether it was in the rep's Commit at the start of the period: open, forecast category
-- Commit and close_date in the period in s0, the latest snapshot on or before $start (s0_as_of
-- is NULL when no snapshot is that old). Owners filtered by $team / $rep.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
s0 AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE as_of <= CAST($start AS DATE)
),
start_commit AS (
    SELECT o.opportunity_id
    FROM opportunity_snapshots o
    JOIN s0 ON o.as_of = s0.as_of
    WHERE NOT o.is_closed
      AND o.forecast_category = 'Commit'
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
)
SELECT o.opportunity_id, o.name, o.owner AS rep, COALESCE(r.team, '(no team)') AS team,
       CAST(o.amount AS DOUBLE) AS amount, o.close_date,
       o.opportunity_id IN (SELECT opportunity_id FROM start_commit) AS in_start_commit,
       (SELECT as_of FROM s0) AS s0_as_of
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
LEFT JOIN reps r ON r.rep = o.owner
WHERE o.is_won
  AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
  AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
ORDER BY o.owner, o.amount DESC, o.opportunity_id
