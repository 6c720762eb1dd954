-- Stalled deals: the funnel's open deals (`funnel_deals`: the rows of pipeline_funnel_deals.sql,
-- which the caller binds under that name) in their stage for more than twice its median stay
-- ($stages / $medians: stage names and their median days, in pairs). Longest first.
WITH medians AS (
    SELECT unnest(CAST($stages AS VARCHAR[])) AS stage,
           unnest(CAST($medians AS DOUBLE[])) AS median_days
)
SELECT d.opportunity_id, d.name, d.rep, d.stage, d.amount, d.close_date, d.days_in_stage,
       m.median_days
FROM funnel_deals d
JOIN medians m ON m.stage = d.stage
WHERE d.days_in_stage > 2 * m.median_days
ORDER BY d.days_in_stage DESC, d.opportunity_id
