-- Open stages seen in any snapshot, with their order (the funnel's steps as the data has them),
-- read from deal_stage_history (spm.derived), which holds every stage a deal was seen open in.
SELECT DISTINCT h.stage, COALESCE(s.stage_order, 0) AS stage_order
FROM (SELECT DISTINCT stage FROM deal_stage_history) h
LEFT JOIN stages s ON lower(s.stage) = lower(h.stage)
ORDER BY stage_order, stage
