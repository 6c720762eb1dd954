-- One record describing what is loaded: snapshot count, deals in the snapshot as of $as_of,
-- and won / lost / win rate for deals closed in [$start, $end) (all closed deals when NULL).
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
deals AS (
    SELECT o.*,
           (CAST($start AS DATE) IS NULL OR o.close_date >= CAST($start AS DATE))
           AND (CAST($end AS DATE) IS NULL OR o.close_date < CAST($end AS DATE)) AS in_period
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
)
SELECT
    (SELECT count(*) FROM snapshot_dates) AS snapshots,
    (SELECT as_of FROM snap) AS as_of,
    count(deals.opportunity_id) AS opportunities,
    count(deals.opportunity_id) FILTER (WHERE NOT is_closed) AS open,
    count(deals.opportunity_id) FILTER (WHERE is_won AND in_period) AS won,
    count(deals.opportunity_id) FILTER (WHERE is_closed AND NOT is_won AND in_period) AS lost,
    COALESCE(sum(amount) FILTER (WHERE is_won AND in_period), 0) AS won_amount,
    CAST(count(deals.opportunity_id) FILTER (WHERE is_won AND in_period) AS DOUBLE)
        / NULLIF(count(deals.opportunity_id) FILTER (WHERE is_closed AND in_period), 0)
        AS win_rate
FROM deals
