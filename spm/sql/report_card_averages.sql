-- Mean customer report-card scores (1-5) per rep over cards dated in [$start, $end).
SELECT rep,
       count(*) AS cards,
       avg(listening) AS listening,
       avg(trust) AS trust,
       avg(problem_solving) AS problem_solving,
       avg(responsiveness) AS responsiveness
FROM report_cards
WHERE date >= CAST($start AS DATE) AND date < CAST($end AS DATE)
GROUP BY rep
ORDER BY rep
