-- Open stages seen in any snapshot, with their order (the funnel's steps as the data has them),
-- read from stage_history (spm.derived): deal_stage_history's (deal, stage) pairs counted per
-- stage and dates, so the same stages in a tenth of the rows.
SELECT DISTINCT h.stage, COALESCE(s.stage_order, 0) AS stage_order
FROM (SELECT DISTINCT stage FROM stage_history) h
LEFT JOIN stages s ON lower(s.stage) = lower(h.stage)
ORDER BY stage_order, stage
