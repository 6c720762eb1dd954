-- Every rep with a team: the reps file, plus owners in the latest snapshot it does not list
-- (closed deals stay in every snapshot, so the latest one names every owner).
SELECT rep, team FROM reps
UNION
SELECT DISTINCT owner AS rep, '(no team)' AS team
FROM opportunity_snapshot_rows
WHERE as_of = (SELECT max(as_of) FROM snapshot_dates)
  AND superseded_by IS NULL
  AND owner NOT IN (SELECT rep FROM reps)
ORDER BY rep
