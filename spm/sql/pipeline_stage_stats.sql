-- Per open stage, summarised from `runs`: the rows of pipeline_stage_runs.sql, which the caller
-- binds under that name so the stays never leave DuckDB.
--   stage_order: the stage's order in the stage mapping;
--   advanced / decided: of each deal's first stay in the stage, those that later moved on /
--   those whose fate is known (advanced, lost or dropped);
--   median_days / stays: median days and count of completed stays (left, not censored);
--   current: the deals sitting in the stage as of A, as a list of {opportunity_id, days}.
WITH stays AS MATERIALIZED (
    SELECT opportunity_id, stage, stage_order, entered, left_on, days, outcome, censored, current
    FROM runs
),
firsts AS (
    SELECT stage, arg_min(outcome, entered) AS outcome
    FROM stays
    GROUP BY opportunity_id, stage
),
fates AS (
    SELECT stage,
           count(*) FILTER (WHERE outcome = 'advanced') AS advanced,
           count(*) FILTER (WHERE outcome IN ('advanced', 'lost', 'dropped')) AS decided
    FROM firsts
    GROUP BY stage
)
SELECT s.stage, min(s.stage_order) AS stage_order,
       any_value(f.advanced) AS advanced, any_value(f.decided) AS decided,
       median(s.days) FILTER (WHERE s.left_on IS NOT NULL AND NOT s.censored) AS median_days,
       count(*) FILTER (WHERE s.left_on IS NOT NULL AND NOT s.censored) AS stays,
       COALESCE(list({'opportunity_id': s.opportunity_id, 'days': s.days})
                    FILTER (WHERE s.current), []) AS current
FROM stays s
JOIN fates f ON f.stage = s.stage
GROUP BY s.stage
ORDER BY s.stage
