-- The rows of `flags` (deal_flags.sql, which the caller binds under that name) raising at least
-- one hygiene flag, largest amount first, with the fields spm.metrics.hygiene words them from.
SELECT opportunity_id, rep, name, stage, amount, close_date, pushes, days_unchanged,
       past_due, pushed, stale, missing_amount, missing_close_date
FROM flags
WHERE past_due OR pushed OR stale OR missing_amount OR missing_close_date
ORDER BY amount DESC NULLS LAST, opportunity_id
