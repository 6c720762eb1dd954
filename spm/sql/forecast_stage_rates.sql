-- Stage win-rate counts at each date in $cutoffs: per stage, the deals seen open in it by the
-- cutoff, how many of them had closed by the cutoff and how many of those were won, with the
-- stage mapping's order and default probability. Reads stage_history (spm.derived).
WITH cutoffs AS (SELECT unnest(CAST($cutoffs AS DATE[])) AS cutoff),
counts AS (
    SELECT c.cutoff, h.stage, sum(h.deals) AS deals_seen,
           COALESCE(sum(h.deals) FILTER (WHERE h.closed_at <= c.cutoff), 0) AS closed,
           COALESCE(sum(h.deals) FILTER (WHERE h.closed_at <= c.cutoff AND h.won), 0) AS won
    FROM cutoffs c
    JOIN stage_history h ON h.first_seen <= c.cutoff
    GROUP BY c.cutoff, h.stage
)
SELECT k.cutoff, k.stage, COALESCE(max(s.stage_order), 0) AS stage_order, k.deals_seen,
       k.closed, k.won, max(s.probability) AS default_probability
FROM counts k
LEFT JOIN stages s ON lower(s.stage) = lower(k.stage)
GROUP BY k.cutoff, k.stage, k.deals_seen, k.closed, k.won
