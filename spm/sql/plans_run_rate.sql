-- Run rate inputs for close_date in [$start, $end), in the latest snapshot on or before $as_of
-- (NULL = latest), per owner and type (a missing type follows the owner's role: hunter -> new,
-- farmer -> existing, else new): contracted = won amount; open pipeline = open deals not in
-- forecast category Omitted; weighted pipeline = those amounts times their probability.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
)
SELECT o.owner AS rep,
       COALESCE(lower(o.type),
                CASE lower(r.role) WHEN 'hunter' THEN 'new' WHEN 'farmer' THEN 'existing' END,
                'new') AS type,
       COALESCE(sum(CAST(o.amount AS DOUBLE)) FILTER (WHERE o.is_won), 0) AS contracted,
       COALESCE(sum(CAST(o.amount AS DOUBLE)) FILTER (
           WHERE NOT o.is_closed AND o.forecast_category <> 'Omitted'), 0) AS open_pipeline,
       COALESCE(sum(CAST(o.amount AS DOUBLE) * COALESCE(o.probability, 0)) FILTER (
           WHERE NOT o.is_closed AND o.forecast_category <> 'Omitted'), 0) AS weighted_pipeline
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
LEFT JOIN reps r ON r.rep = o.owner
WHERE o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
GROUP BY 1, 2
ORDER BY 1, 2
