-- Account health over the year [$year_start, $end) that ends with the QBR's period: new
-- accounts (first won in the year) and existing accounts (first won before it), from the
-- accounts table (first_won_date, else the first won deal), activities and the won deals of the
-- latest snapshot on or before $as_of (NULL = latest). With a $team / $rep filter, only
-- accounts with a deal owned inside the filter. One row per
-- measure: accounts (the group's size), yes, unknown (flag not given) and share = yes / accounts.
-- "bought a new offering": won a product in the year it had never won before the year;
-- "price increase": won a product in the year for more than its previous win of that product.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
won AS (
    SELECT o.opportunity_id, o.account, o.product, o.close_date,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    WHERE o.is_won AND o.account IS NOT NULL
),
-- read only under a filter: without one every account counts
in_filter AS (
    SELECT DISTINCT o.account
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.account IS NOT NULL
      AND (CAST($team AS VARCHAR) IS NOT NULL OR CAST($rep AS VARCHAR) IS NOT NULL)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
first_won AS (
    SELECT account, min(close_date) AS first_won FROM won GROUP BY account
),
acct AS (
    SELECT a.account, a.in_target_profile, a.onboarded_to_standard, a.paid_assessment,
           COALESCE(a.first_won_date, f.first_won) AS first_won
    FROM accounts a
    LEFT JOIN first_won f ON f.account = a.account
    WHERE (CAST($team AS VARCHAR) IS NULL AND CAST($rep AS VARCHAR) IS NULL)
       OR a.account IN (SELECT account FROM in_filter)
),
new_accounts AS (
    SELECT * FROM acct
    WHERE first_won >= CAST($year_start AS DATE) AND first_won < CAST($end AS DATE)
),
existing_accounts AS (
    SELECT * FROM acct WHERE first_won < CAST($year_start AS DATE)
),
-- one pass over the activities: assessments ever, customer QBRs in the year
touches AS (
    SELECT account,
           bool_or(lower(kind) = 'assessment') AS assessed,
           count(*) FILTER (WHERE lower(kind) = 'qbr' AND date >= CAST($year_start AS DATE)
                                  AND date < CAST($end AS DATE)) AS meetings
    FROM activities
    WHERE lower(kind) IN ('assessment', 'qbr')
    GROUP BY account
),
-- per account and product: the first win ever and whether one falls in the year
bought AS (
    SELECT account, product, min(close_date) AS first_bought,
           bool_or(close_date >= CAST($year_start AS DATE) AND close_date < CAST($end AS DATE))
               AS in_year
    FROM won
    WHERE product IS NOT NULL
    GROUP BY account, product
),
new_offering AS (
    SELECT DISTINCT account FROM bought
    WHERE in_year AND first_bought >= CAST($year_start AS DATE)
),
-- each win of a product bought in the year beside the win before it; later wins never precede
-- one in the year, so they are not read
won_ordered AS (
    SELECT w.account, w.close_date, w.amount,
           LAG(w.amount) OVER (PARTITION BY w.account, w.product
                               ORDER BY w.close_date, w.amount, w.opportunity_id) AS previous_amount
    FROM won w
    JOIN bought b ON b.account = w.account AND b.product = w.product
    WHERE b.in_year AND w.close_date < CAST($end AS DATE)
),
price_up AS (
    SELECT DISTINCT account FROM won_ordered
    WHERE close_date >= CAST($year_start AS DATE)
      AND previous_amount IS NOT NULL AND amount > previous_amount
)
SELECT 'new' AS "group", 'paid assessment' AS measure, count(*) AS accounts,
       count(*) FILTER (WHERE COALESCE(paid_assessment, account IN (
           SELECT account FROM touches WHERE assessed))) AS yes,
       0 AS unknown
FROM new_accounts
UNION ALL
SELECT 'new', 'in target profile', count(*), count(*) FILTER (WHERE in_target_profile),
       count(*) FILTER (WHERE in_target_profile IS NULL)
FROM new_accounts
UNION ALL
SELECT 'new', 'onboarded to standard', count(*), count(*) FILTER (WHERE onboarded_to_standard),
       count(*) FILTER (WHERE onboarded_to_standard IS NULL)
FROM new_accounts
UNION ALL
SELECT 'existing', '≥ 4 customer QBRs in the year', count(*),
       count(*) FILTER (WHERE COALESCE(q.meetings, 0) >= 4), 0
FROM existing_accounts e
LEFT JOIN touches q ON q.account = e.account
UNION ALL
SELECT 'existing', 'bought a new offering', count(*),
       count(*) FILTER (WHERE account IN (SELECT account FROM new_offering)), 0
FROM existing_accounts
UNION ALL
SELECT 'existing', 'price increase', count(*),
       count(*) FILTER (WHERE account IN (SELECT account FROM price_up)), 0
FROM existing_accounts
