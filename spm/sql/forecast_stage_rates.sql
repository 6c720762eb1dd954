-- Stage win-rate counts at each date in $cutoffs: per stage, the deals seen open in it by the
-- cutoff, how many of them had closed by the cutoff and how many of those were won, with the
-- stage mapping's order and default probability. Reads deal_stage_history (spm.derived).
WITH cutoffs AS (SELECT unnest(CAST($cutoffs AS DATE[])) AS cutoff),
counts AS (
    SELECT c.cutoff, h.stage, count(*) AS deals_seen,
           count(*) FILTER (WHERE h.closed_at <= c.cutoff) AS closed,
           count(*) FILTER (WHERE h.closed_at <= c.cutoff AND h.won) AS won
    FROM cutoffs c
    JOIN deal_stage_history h ON h.first_seen <= c.cutoff
    GROUP BY c.cutoff, h.stage
)
SELECT k.cutoff, k.stage, COALESCE(max(s.stage_order), 0) AS stage_order, k.deals_seen,
       k.closed, k.won, max(s.probability) AS default_probability
FROM counts k
LEFT JOIN stages s ON lower(s.stage) = lower(k.stage)
GROUP BY k.cutoff, k.stage, k.deals_seen, k.closed, k.won
