-- Activities per rep and kind with dates in [$start, $end); optional $rep filter.
SELECT rep, kind, count(*) AS activities, count(DISTINCT account) AS accounts
FROM activities
WHERE date >= CAST($start AS DATE) AND date < CAST($end AS DATE)
  AND (CAST($rep AS VARCHAR) IS NULL OR rep = CAST($rep AS VARCHAR))
GROUP BY rep, kind
ORDER BY rep, activities DESC, kind
