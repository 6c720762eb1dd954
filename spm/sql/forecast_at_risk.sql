-- Deals at risk in the period: open deals (the deal_flags rows registered as `flags`) closing in
-- [$start, $end), outside the Omitted forecast category, that are past due, pushed or stale.
-- One row: how many and their amount (currency; deals without an amount add nothing).
SELECT count(*) AS deals, coalesce(sum(amount), 0)::DOUBLE AS amount
FROM flags
WHERE close_date >= CAST($start AS DATE) AND close_date < CAST($end AS DATE)
  AND lower(replace(coalesce(forecast_category, ''), ' ', '')) <> 'omitted'
  AND (coalesce(past_due, FALSE) OR coalesce(pushed, FALSE) OR coalesce(stale, FALSE))
