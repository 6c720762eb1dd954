-- Deals created in [$start, $end) as they stand in the snapshot as of $as_of (NULL = latest),
-- whatever happened to them since (open, won or lost), for owners filtered by $team / $rep.
-- month: first day of the created_date's month; amount: the deal's amount in that snapshot.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
)
SELECT CAST(date_trunc('month', o.created_date) AS DATE) AS month, o.opportunity_id, o.name,
       o.owner AS rep, COALESCE(r.team, '(no team)') AS team,
       COALESCE(NULLIF(trim(o.lead_source), ''), '(not set)') AS lead_source,
       o.stage, CAST(o.amount AS DOUBLE) AS amount, o.created_date, o.close_date
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
LEFT JOIN reps r ON r.rep = o.owner
WHERE o.created_date >= CAST($start AS DATE) AND o.created_date < CAST($end AS DATE)
  AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
ORDER BY o.created_date, o.opportunity_id
