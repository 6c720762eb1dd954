-- Quota per rep and type for months in [$start, $end) (types as loaded: new, existing, total).
SELECT rep, lower(type) AS type, sum(CAST(amount AS DOUBLE)) AS amount
FROM quotas
WHERE month >= CAST($start AS DATE) AND month < CAST($end AS DATE)
GROUP BY rep, lower(type)
ORDER BY rep, type
