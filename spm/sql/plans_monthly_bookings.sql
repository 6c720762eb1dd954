-- Bookings per owner (with the owner's team) and calendar month for deals won with close_date in
-- [$start, $end), in the latest snapshot on or before $as_of (NULL = latest), for owners in $team
-- / $rep (NULL = all).
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
)
SELECT o.owner AS rep,
       COALESCE(r.team, '(no team)') AS team,
       CAST(date_trunc('month', o.close_date) AS DATE) AS month,
       sum(CAST(o.amount AS DOUBLE)) AS bookings
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
LEFT JOIN reps r ON r.rep = o.owner
WHERE o.is_won
  AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
  AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
GROUP BY o.owner, COALESCE(r.team, '(no team)'), CAST(date_trunc('month', o.close_date) AS DATE)
ORDER BY rep, month
