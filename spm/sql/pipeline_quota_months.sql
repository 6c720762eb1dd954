-- Monthly quota per rep for months in [$start, $end), reps filtered by $team / $rep (NULL =
-- all). A month's 'total' rows win; without them the month is the sum of the other types (the
-- same rule as rep_kpis.sql). Money as DOUBLE.
SELECT q.rep, COALESCE(r.team, '(no team)') AS team, q.month,
       COALESCE(sum(CAST(q.amount AS DOUBLE)) FILTER (WHERE q.type = 'total'),
                sum(CAST(q.amount AS DOUBLE)) FILTER (WHERE q.type <> 'total')) AS quota
FROM quotas q
LEFT JOIN reps r ON r.rep = q.rep
WHERE q.month >= CAST($start AS DATE) AND q.month < CAST($end AS DATE)
  AND (CAST($rep AS VARCHAR) IS NULL OR q.rep = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
GROUP BY q.rep, COALESCE(r.team, '(no team)'), q.month
ORDER BY q.month, q.rep
