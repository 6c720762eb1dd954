-- The newest $limit snapshots (all when NULL): as-of date, deal count, open deals, open value.
WITH picked AS (
    SELECT as_of FROM snapshot_dates
    ORDER BY as_of DESC
    LIMIT COALESCE(CAST($limit AS INTEGER), 100000)
)
SELECT as_of,
       count(*) AS opportunities,
       count(*) FILTER (WHERE NOT is_closed) AS open,
       COALESCE(sum(amount) FILTER (WHERE NOT is_closed), 0) AS open_amount
FROM opportunity_snapshots
JOIN picked USING (as_of)
GROUP BY as_of
ORDER BY as_of DESC
