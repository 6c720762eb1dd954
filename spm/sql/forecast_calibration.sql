-- Calibration of stage win rates on closed history as known at the snapshot $last: one
-- observation per (deal, stage) pair whose deal closed by then. "statistical" predicts with the
-- stage's win rate among its pairs closed on or before the day this deal entered the stage
-- (the mapping's default below $min_deals such pairs); "stage mapping" with the default.
-- Predicted probabilities fall in ten 10-point buckets (bucket 9 includes 100 %). Reads
-- stage_history (spm.derived), where `deals` counts the pairs of each row.
WITH closed AS (
    SELECT h.stage, h.first_seen, h.closed_at, h.won, h.deals,
           COALESCE(s.probability, 0.0) AS default_probability
    FROM stage_history h
    LEFT JOIN stages s ON lower(s.stage) = lower(h.stage)
    WHERE h.first_seen <= CAST($last AS DATE) AND h.closed_at <= CAST($last AS DATE)
),
by_day AS (
    SELECT stage, closed_at, sum(deals) AS n, COALESCE(sum(deals) FILTER (WHERE won), 0) AS n_won
    FROM closed
    GROUP BY stage, closed_at
),
cumulative AS (
    SELECT stage, closed_at,
           sum(n) OVER (PARTITION BY stage ORDER BY closed_at) AS prior_closed,
           sum(n_won) OVER (PARTITION BY stage ORDER BY closed_at) AS prior_won
    FROM by_day
),
observed AS (
    -- ASOF: the latest closing day on or before the day the deal entered the stage
    SELECT c.won, c.deals, c.default_probability,
           CASE WHEN COALESCE(k.prior_closed, 0) >= greatest(CAST($min_deals AS INTEGER), 1)
                THEN k.prior_won / k.prior_closed ELSE c.default_probability END AS statistical
    FROM closed c
    ASOF LEFT JOIN cumulative k ON k.stage = c.stage AND c.first_seen >= k.closed_at
),
predictions AS (
    SELECT 'statistical' AS model, 0 AS model_order, statistical AS predicted, won, deals
    FROM observed
    UNION ALL
    SELECT 'stage mapping', 1, default_probability, won, deals FROM observed
)
SELECT model, least(CAST(floor(predicted * 10) AS INTEGER), 9) AS bucket_index,
       sum(deals) AS observations, sum(deals * predicted) / sum(deals) AS predicted,
       sum(deals * CAST(won AS DOUBLE)) / sum(deals) AS realised
FROM predictions
GROUP BY model, model_order, bucket_index
ORDER BY model_order, bucket_index
