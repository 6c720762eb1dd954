-- Lost deals with close_date in [$start, $end), in the latest snapshot on or before $as_of
-- (NULL = latest), owners filtered by $team / $rep, grouped by loss reason (lower case;
-- dimension 'reason')
-- and by competitor (dimension 'competitor'): deals, amount (DOUBLE) and their shares of all
-- lost deals by count and by value (fractions).
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
lost AS (
    SELECT COALESCE(NULLIF(lower(trim(o.loss_reason)), ''), '(no reason given)') AS reason,
           COALESCE(NULLIF(trim(o.competitor), ''), '(none named)') AS competitor,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_closed AND NOT o.is_won
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
grouped AS (
    SELECT CASE WHEN GROUPING(reason) = 0 THEN 'reason' ELSE 'competitor' END AS dimension,
           CASE WHEN GROUPING(reason) = 0 THEN reason ELSE competitor END AS value,
           count(*) AS deals, sum(amount) AS amount
    FROM lost
    GROUP BY GROUPING SETS ((reason), (competitor))
)
SELECT dimension, value, deals, amount,
       CAST(deals AS DOUBLE) / (SELECT count(*) FROM lost) AS share_of_deals,
       amount / NULLIF((SELECT sum(amount) FROM lost), 0) AS share_of_value
FROM grouped
ORDER BY dimension DESC, deals DESC, amount DESC, value
