-- Per rep of `flags` (the rows of deal_flags.sql, which the caller binds under that name): open
-- deals, the deals raising each hygiene flag and those raising any (counts), most flagged first.
SELECT rep, count(*) AS open_deals,
       count(*) FILTER (WHERE past_due) AS past_due,
       count(*) FILTER (WHERE pushed) AS pushed,
       count(*) FILTER (WHERE stale) AS stale,
       count(*) FILTER (WHERE missing_amount) AS missing_amount,
       count(*) FILTER (WHERE missing_close_date) AS missing_close_date,
       count(*) FILTER (
           WHERE past_due OR pushed OR stale OR missing_amount OR missing_close_date
       ) AS flagged_deals
FROM flags
GROUP BY rep
ORDER BY flagged_deals DESC, rep
