-- Open stages seen in any snapshot, with their order (the funnel's steps as the data has them).
SELECT DISTINCT stage, stage_order
FROM opportunity_snapshots
WHERE NOT is_closed
ORDER BY stage_order, stage
