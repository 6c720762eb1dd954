-- Quota per rep for months in [$start, $end) by type as loaded: new and existing (NULL without
-- rows of that type; total rows are not split).
SELECT rep,
       sum(CAST(amount AS DOUBLE)) FILTER (WHERE lower(type) = 'new') AS new,
       sum(CAST(amount AS DOUBLE)) FILTER (WHERE lower(type) = 'existing') AS existing
FROM quotas
WHERE month >= CAST($start AS DATE) AND month < CAST($end AS DATE)
GROUP BY rep
ORDER BY rep
