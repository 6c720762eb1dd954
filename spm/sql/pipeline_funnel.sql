-- Per stage of the funnel, from the open pipeline deals as of A (`funnel_deals`: the rows of
-- pipeline_funnel_deals.sql) and the stays up to A (`runs`: the rows of pipeline_stage_runs.sql),
-- which the caller binds under those names so neither leaves DuckDB:
--   stage_order: the stage's order in the stage mapping;
--   open_deals / open_value: open pipeline deals in the stage and their amount (currency);
--   advanced / decided: of each deal's first stay in the stage, those that later moved on /
--   those whose fate is known (advanced, lost or dropped: not open);
--   median_days / stays: median days and count of completed stays (left, not censored).
-- One row per stage that has open deals or stays.
WITH pipeline AS (
    SELECT stage, min(stage_order) AS stage_order, count(*) AS open_deals,
           COALESCE(sum(amount), 0) AS open_value
    FROM funnel_deals
    GROUP BY stage
),
stats AS (
    SELECT stage, min(stage_order) AS stage_order,
           count(*) FILTER (WHERE first_stay AND outcome = 'advanced') AS advanced,
           count(*) FILTER (WHERE first_stay AND outcome <> 'open') AS decided,
           median(days) FILTER (WHERE left_on IS NOT NULL AND NOT censored) AS median_days,
           count(*) FILTER (WHERE left_on IS NOT NULL AND NOT censored) AS stays
    FROM runs
    GROUP BY stage
)
SELECT COALESCE(p.stage, s.stage) AS stage,
       CAST(COALESCE(p.stage_order, s.stage_order) AS BIGINT) AS stage_order,
       COALESCE(p.open_deals, 0) AS open_deals, COALESCE(p.open_value, 0) AS open_value,
       COALESCE(s.advanced, 0) AS advanced, COALESCE(s.decided, 0) AS decided,
       s.median_days, COALESCE(s.stays, 0) AS stays
FROM pipeline p
FULL JOIN stats s ON s.stage = p.stage
ORDER BY stage_order, stage
