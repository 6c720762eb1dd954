-- Rows currently loaded per kind.
SELECT 'opportunity snapshots' AS kind, count(*) AS rows FROM opportunity_snapshots
UNION ALL SELECT 'reps', count(*) FROM reps
UNION ALL SELECT 'quota months', count(*) FROM quotas
UNION ALL SELECT 'accounts', count(*) FROM accounts
UNION ALL SELECT 'activities', count(*) FROM activities
UNION ALL SELECT 'report cards', count(*) FROM report_cards
