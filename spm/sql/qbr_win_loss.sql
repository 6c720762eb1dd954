-- Won vs lost for deals closed with close_date in [$start, $end), in the latest snapshot on or
-- before $as_of (NULL = latest), owners filtered by $team / $rep. Rows for the whole filter
-- (dimension 'total'), per product and per rep: counts, amounts (DOUBLE), win rates by count
-- and value (fractions) and the sales cycle of won deals (days, mean and median).
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
closed AS (
    SELECT o.owner, COALESCE(o.product, '(no product)') AS product, o.is_won,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount,
           CAST(o.close_date - o.created_date AS DOUBLE) AS cycle_days
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_closed
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
grouped AS (
    SELECT CASE WHEN GROUPING(product) = 0 THEN 'product'
                WHEN GROUPING(owner) = 0 THEN 'rep' ELSE 'total' END AS dimension,
           CASE WHEN GROUPING(product) = 0 THEN product
                WHEN GROUPING(owner) = 0 THEN owner ELSE 'all' END AS value,
           count(*) FILTER (WHERE is_won) AS won,
           count(*) FILTER (WHERE NOT is_won) AS lost,
           COALESCE(sum(amount) FILTER (WHERE is_won), 0) AS won_amount,
           COALESCE(sum(amount) FILTER (WHERE NOT is_won), 0) AS lost_amount,
           avg(cycle_days) FILTER (WHERE is_won) AS cycle_days,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_days) FILTER (WHERE is_won)
               AS cycle_median_days
    FROM closed
    GROUP BY GROUPING SETS ((), (product), (owner))
)
SELECT dimension, value, won, lost,
       CAST(won AS DOUBLE) / NULLIF(won + lost, 0) AS win_rate,
       won_amount, lost_amount,
       won_amount / NULLIF(won_amount + lost_amount, 0) AS value_win_rate,
       cycle_days, cycle_median_days
FROM grouped
ORDER BY CASE dimension WHEN 'total' THEN 0 WHEN 'product' THEN 1 ELSE 2 END,
         won_amount DESC, value
