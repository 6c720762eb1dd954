-- The snapshots dated $since or later (all when NULL): as-of date, deal count, open deals, open
-- value. A constant lower bound lets the scan skip older row groups (a join would read all).
SELECT as_of,
       count(*) AS opportunities,
       count(*) FILTER (WHERE NOT is_closed) AS open,
       COALESCE(sum(amount) FILTER (WHERE NOT is_closed), 0) AS open_amount
FROM opportunity_snapshots
WHERE CAST($since AS DATE) IS NULL OR as_of >= CAST($since AS DATE)
GROUP BY as_of
ORDER BY as_of DESC
