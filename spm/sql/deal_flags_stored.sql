-- deal_flags.sql as of the latest snapshot, as spm.derived keeps it in deal_flags_latest after
-- each load, for owners in the $team / $rep filter (NULL = all); same columns, no order
-- (spm.metrics.hygiene.deal_flags sorts them as deal_flags.sql does).
SELECT *
FROM deal_flags_latest
WHERE (CAST($rep AS VARCHAR) IS NULL OR rep = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
