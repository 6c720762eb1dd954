-- Forecast rollup (SPEC §4) for deals with close_date in [$start, $end), one row per snapshot
-- with as_of in [$first, $last] and rep in the $team / $rep filter (NULL = all):
-- Closed = won amount; Commit = Closed + open Commit deals; Best case = Commit + open Best Case
-- deals; Pipeline = open deals of any category except Omitted. Quota = sum of monthly quotas in
-- the period (a month's 'total' rows win over its other types). Money as DOUBLE.
WITH snaps AS (
    SELECT as_of
    FROM snapshot_dates
    WHERE as_of BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)
),
deals AS (
    SELECT o.as_of, o.owner, o.is_closed, o.is_won,
           -- categories arrive as 'Best Case', 'best case', 'BestCase', ...
           lower(replace(o.forecast_category, ' ', '')) AS category,
           COALESCE(CAST(o.amount AS DOUBLE), 0) AS amount
    FROM opportunity_snapshots o
    WHERE o.as_of BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
),
roster AS (
    SELECT rep, team, manager, end_date FROM reps
    UNION ALL
    -- deal owners the reps file does not list still own their numbers
    SELECT DISTINCT owner, '(no team)', CAST(NULL AS VARCHAR), CAST(NULL AS DATE)
    FROM deals
    WHERE owner NOT IN (SELECT rep FROM reps)
),
members AS (
    SELECT rep, team, manager
    FROM roster
    WHERE (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR rep = CAST($rep AS VARCHAR))
      AND (end_date IS NULL OR end_date >= CAST($start AS DATE)
           OR rep IN (SELECT owner FROM deals))
),
quota_months AS (
    SELECT rep, month, quota
    FROM rep_month_quotas
    WHERE month >= CAST($start AS DATE) AND month < CAST($end AS DATE)
),
rep_quota AS (
    SELECT rep, sum(quota) AS quota FROM quota_months GROUP BY rep
),
sums AS (
    SELECT as_of, owner,
           COALESCE(sum(amount) FILTER (WHERE is_won), 0) AS closed,
           COALESCE(sum(amount) FILTER (WHERE NOT is_closed AND category = 'commit'), 0)
               AS open_commit,
           COALESCE(sum(amount) FILTER (WHERE NOT is_closed AND category = 'bestcase'), 0)
               AS open_best_case,
           COALESCE(sum(amount) FILTER (WHERE NOT is_closed AND category <> 'omitted'), 0)
               AS pipeline
    FROM deals
    GROUP BY as_of, owner
)
SELECT snaps.as_of, m.rep, m.team, m.manager, q.quota,
       COALESCE(s.closed, 0) AS closed,
       COALESCE(s.closed + s.open_commit, 0) AS commit,
       COALESCE(s.closed + s.open_commit + s.open_best_case, 0) AS best_case,
       COALESCE(s.pipeline, 0) AS pipeline
FROM members m
CROSS JOIN snaps
LEFT JOIN rep_quota q ON q.rep = m.rep
LEFT JOIN sums s ON s.owner = m.rep AND s.as_of = snaps.as_of
ORDER BY snaps.as_of, m.team, m.rep
