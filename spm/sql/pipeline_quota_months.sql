-- Monthly quota per rep for months in [$start, $end) (rule: the rep_month_quotas view), reps
-- filtered by $team / $rep (NULL = all). Money as DOUBLE.
SELECT q.rep, COALESCE(r.team, '(no team)') AS team, q.month, q.quota
FROM rep_month_quotas q
LEFT JOIN reps r ON r.rep = q.rep
WHERE q.month >= CAST($start AS DATE) AND q.month < CAST($end AS DATE)
  AND (CAST($rep AS VARCHAR) IS NULL OR q.rep = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
ORDER BY q.month, q.rep
