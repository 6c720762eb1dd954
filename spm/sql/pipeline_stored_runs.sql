-- The stays of pipeline_stage_runs.sql as of the latest snapshot, as spm.derived keeps them in
-- deal_stage_runs after each load, for owners in the $team / $rep filter (NULL = all). The
-- columns are named so that a table stored by an older version fails to bind; no order (the
-- caller summarises them).
SELECT opportunity_id, rep, team, stage, stage_order, entered, left_on, days, outcome, censored,
       current, first_stay
FROM deal_stage_runs
WHERE (CAST($rep AS VARCHAR) IS NULL OR rep = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
