-- Every rep with a team: the reps file, plus deal owners it does not list.
SELECT rep, team FROM reps
UNION
SELECT DISTINCT owner AS rep, '(no team)' AS team
FROM opportunity_snapshots
WHERE owner NOT IN (SELECT rep FROM reps)
ORDER BY rep
