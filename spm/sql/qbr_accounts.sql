-- Account health over the year [$year_start, $end) that ends with the QBR's period: new
-- accounts (first won in the year) and existing accounts (first won before it), from the
-- accounts table (first_won_date, else the first won deal), activities and the won deals of the
-- latest snapshot on or before $as_of (NULL = latest). With a $team / $rep filter, only
-- accounts with a deal owned inside the filter. One row per
-- measure: accounts (the group's size), yes, unknown (flag not given) and share = yes / accounts.
-- "bought a new offering": won a product in the year it had never won before the year;
-- "price increase": won a product in the year for more than its previous win of that product.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
deals AS (
    SELECT o.opportunity_id, o.account, o.owner, o.product, o.close_date, o.is_won,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount,
           COALESCE(r.team, '(no team)') AS team
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.account IS NOT NULL
),
in_filter AS (
    SELECT DISTINCT account FROM deals
    WHERE (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR owner = CAST($rep AS VARCHAR))
),
first_won AS (
    SELECT account, min(close_date) AS first_won FROM deals WHERE is_won GROUP BY account
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
assessed AS (
    SELECT DISTINCT account FROM activities WHERE lower(kind) = 'assessment'
),
qbrs AS (
    SELECT account, count(*) AS meetings
    FROM activities
    WHERE lower(kind) = 'qbr'
      AND date >= CAST($year_start AS DATE) AND date < CAST($end AS DATE)
    GROUP BY account
),
won_ordered AS (
    SELECT account, product, close_date, amount,
           LAG(amount) OVER (PARTITION BY account, product
                             ORDER BY close_date, amount, opportunity_id) AS previous_amount,
           min(close_date) OVER (PARTITION BY account, product) AS first_bought
    FROM deals
    WHERE is_won AND product IS NOT NULL
),
in_year AS (
    SELECT * FROM won_ordered
    WHERE close_date >= CAST($year_start AS DATE) AND close_date < CAST($end AS DATE)
),
new_offering AS (
    SELECT DISTINCT account FROM in_year WHERE first_bought >= CAST($year_start AS DATE)
),
price_up AS (
    SELECT DISTINCT account FROM in_year WHERE previous_amount IS NOT NULL
                                           AND amount > previous_amount
)
SELECT 'new' AS "group", 'paid assessment' AS measure, count(*) AS accounts,
       count(*) FILTER (WHERE COALESCE(paid_assessment,
                                       account IN (SELECT account FROM assessed))) AS yes,
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
LEFT JOIN qbrs q ON q.account = e.account
UNION ALL
SELECT 'existing', 'bought a new offering', count(*),
       count(*) FILTER (WHERE account IN (SELECT account FROM new_offering)), 0
FROM existing_accounts
UNION ALL
SELECT 'existing', 'price increase', count(*),
       count(*) FILTER (WHERE account IN (SELECT account FROM price_up)), 0
FROM existing_accounts
