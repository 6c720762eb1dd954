-- Each loaded snapshot: its as-of date, deal count, open deals and open pipeline value.
SELECT as_of,
       count(*) AS opportunities,
       count(*) FILTER (WHERE NOT is_closed) AS open,
       COALESCE(sum(amount) FILTER (WHERE NOT is_closed), 0) AS open_amount
FROM opportunity_snapshots
GROUP BY as_of
ORDER BY as_of DESC
