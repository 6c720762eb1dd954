-- The stays of pipeline_stage_runs.sql as of the latest snapshot, as spm.derived keeps them in
-- deal_stage_runs after each load, for owners in the $team / $rep filter (NULL = all).
SELECT *
FROM deal_stage_runs
WHERE (CAST($rep AS VARCHAR) IS NULL OR rep = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
ORDER BY opportunity_id, entered
