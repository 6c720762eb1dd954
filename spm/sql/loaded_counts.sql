-- Rows currently loaded per kind (snapshot rows replaced by a newer load are not counted).
SELECT 'opportunity snapshots' AS kind, count(*) AS rows
FROM opportunity_snapshot_rows WHERE superseded_by IS NULL
UNION ALL SELECT 'reps', count(*) FROM reps
UNION ALL SELECT 'quota months', count(*) FROM quotas
UNION ALL SELECT 'accounts', count(*) FROM accounts
UNION ALL SELECT 'activities', count(*) FROM activities
UNION ALL SELECT 'report cards', count(*) FROM report_cards
