-- The funnel's open deals: the rows of pipeline_open_deals.sql, bound as `open_deals`, with the
-- days each has sat in its current stage from `runs` (the rows of pipeline_stage_runs.sql; NULL
-- when no stay is known). The caller binds both under those names; no order.
SELECT d.opportunity_id, d.name, d.rep, d.stage, d.stage_order, d.amount, d.close_date,
       CAST(r.days AS DOUBLE) AS days_in_stage
FROM open_deals d
LEFT JOIN runs r ON r.opportunity_id = d.opportunity_id AND r.current
