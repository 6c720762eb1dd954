-- Build of the stage_history table (spm.derived): deal_stage_history's pairs counted per
-- (stage, first_seen, closed_at, won), which is all win rates and calibration need: 49k rows
-- for 525k pairs on the large demo.
SELECT stage, first_seen, closed_at, won, count(*) AS deals
FROM deal_stage_history
GROUP BY ALL
