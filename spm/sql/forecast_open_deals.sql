-- Deals with close_date in [$start, $end) in every snapshot with as_of in [$first, $last], for
-- owners in the $team / $rep filter (NULL = all): open ones and won ones, with the stage
-- mapping's default probability. Omitted deals are left out (they are not in the forecast).
WITH rep_team AS (SELECT rep, team FROM reps)
SELECT o.opportunity_id, o.name, o.account, o.owner AS rep,
       COALESCE(t.team, '(no team)') AS team, o.stage, o.stage_order, o.forecast_category,
       COALESCE(CAST(o.amount AS DOUBLE), 0) AS amount, o.close_date, o.is_closed, o.is_won,
       COALESCE(s.probability, o.probability, 0.0) AS default_probability,
       o.as_of
FROM opportunity_snapshots o
LEFT JOIN rep_team t ON t.rep = o.owner
LEFT JOIN stages s ON lower(s.stage) = lower(o.stage)
WHERE o.as_of BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)
  AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
  AND (o.is_won OR (NOT o.is_closed
                    AND lower(replace(o.forecast_category, ' ', '')) <> 'omitted'))
  AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(t.team, '(no team)') = CAST($team AS VARCHAR))
ORDER BY o.as_of, o.opportunity_id
