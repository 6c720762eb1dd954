-- Reps who can carry quota in [$start, $end): the reps file (not ended before $start, not hired
-- on or after $end), plus owners of deals closed since $history_start that it does not list;
-- filtered by $team (NULL = all).
SELECT rep, team, lower(role) AS role, hire_date, ramp_months, end_date
FROM reps
WHERE (end_date IS NULL OR end_date >= CAST($start AS DATE))
  AND (hire_date IS NULL OR hire_date < CAST($end AS DATE))
  AND (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
UNION
SELECT owner, '(no team)', CAST(NULL AS VARCHAR), CAST(NULL AS DATE), CAST(NULL AS INTEGER),
       CAST(NULL AS DATE)
-- the rows of every snapshot, as opportunity_snapshots has them, without its stage join
FROM (SELECT DISTINCT owner
      FROM opportunity_snapshot_rows
      WHERE superseded_by IS NULL AND close_date >= CAST($history_start AS DATE)) o
WHERE owner NOT IN (SELECT rep FROM reps)
  AND (CAST($team AS VARCHAR) IS NULL OR CAST($team AS VARCHAR) = '(no team)')
ORDER BY rep
