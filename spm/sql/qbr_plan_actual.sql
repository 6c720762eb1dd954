-- Plan vs actual by bucket for [$start, $end), owners filtered by $team / $rep, deals read from
-- the latest snapshot on or before $as_of (NULL = latest). Buckets: product, region, type (new
-- vs existing: the deal's type, else the owner's role: hunter = new, farmer = existing) and rep.
-- Plan: a rep's quota for the rep buckets (a month's 'total' rows win, else the sum of its
-- typed rows); typed quotas for new vs existing when the period has 'new'/'existing' rows and
-- no 'total' rows; otherwise the filter's quota spread by each bucket's share of bookings in
-- [$hist_start, $hist_end). Actual: bookings. Money as DOUBLE; the latest note saved for the
-- bucket in qbr_notes for period $period, keyed '<scope><dimension>: <value>'.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
won AS (
    SELECT o.owner, o.close_date,
           COALESCE(NULLIF(trim(o.product), ''), '(no product)') AS product,
           COALESCE(NULLIF(trim(o.region), ''), r.region, '(no region)') AS region,
           COALESCE(CASE lower(o.type) WHEN 'new' THEN 'new' WHEN 'existing' THEN 'existing' END,
                    CASE lower(r.role) WHEN 'hunter' THEN 'new' WHEN 'farmer' THEN 'existing' END,
                    '(unknown)') AS type,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount,
           o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE) AS in_period,
           o.close_date >= CAST($hist_start AS DATE) AND o.close_date < CAST($hist_end AS DATE)
               AS in_history
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_won
      AND ((o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE))
           OR (o.close_date >= CAST($hist_start AS DATE)
               AND o.close_date < CAST($hist_end AS DATE)))
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
actual AS (
    SELECT 'product' AS dimension, product AS value,
           COALESCE(sum(amount) FILTER (WHERE in_period), 0) AS actual,
           sum(amount) FILTER (WHERE in_history) AS history
    FROM won GROUP BY product
    UNION ALL
    SELECT 'region', region, COALESCE(sum(amount) FILTER (WHERE in_period), 0),
           sum(amount) FILTER (WHERE in_history)
    FROM won GROUP BY region
    UNION ALL
    SELECT 'type', type, COALESCE(sum(amount) FILTER (WHERE in_period), 0),
           sum(amount) FILTER (WHERE in_history)
    FROM won GROUP BY type
    UNION ALL
    SELECT 'rep', owner, COALESCE(sum(amount) FILTER (WHERE in_period), 0), NULL
    FROM won GROUP BY owner
),
quota_rows AS (
    SELECT q.rep, q.month, q.type, CAST(q.amount AS DOUBLE) AS amount
    FROM quotas q
    LEFT JOIN reps r ON r.rep = q.rep
    WHERE q.month >= CAST($start AS DATE) AND q.month < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR q.rep = CAST($rep AS VARCHAR))
),
quota_months AS (
    SELECT m.rep, m.month, m.quota
    FROM rep_month_quotas m
    WHERE m.rep IN (SELECT rep FROM quota_rows)
      AND m.month >= CAST($start AS DATE) AND m.month < CAST($end AS DATE)
),
rep_quota AS (
    SELECT rep, sum(quota) AS quota FROM quota_months GROUP BY rep
),
team_quota AS (
    SELECT sum(quota) AS quota FROM rep_quota
),
typed AS (
    SELECT type, sum(amount) AS quota
    FROM quota_rows
    WHERE type IN ('new', 'existing')
    GROUP BY type
),
use_typed AS (
    SELECT (SELECT count(*) FROM quota_rows WHERE type = 'total') = 0
           AND (SELECT count(*) FROM typed) > 0 AS yes
),
mix AS (
    SELECT dimension, value,
           history / NULLIF(sum(history) OVER (PARTITION BY dimension), 0) AS share
    FROM actual
    WHERE dimension IN ('product', 'region', 'type')
),
plan AS (
    SELECT 'rep' AS dimension, rep AS value, quota AS plan, 'quota' AS basis FROM rep_quota
    UNION ALL
    SELECT m.dimension, m.value, m.share * t.quota, 'quota × bookings mix of the 4 prior quarters'
    FROM mix m, team_quota t, use_typed u
    WHERE m.share IS NOT NULL AND (m.dimension <> 'type' OR NOT u.yes)
    UNION ALL
    SELECT 'type', y.type, y.quota, 'typed quota'
    FROM typed y, use_typed u
    WHERE u.yes
),
buckets AS (
    SELECT COALESCE(p.dimension, a.dimension) AS dimension,
           COALESCE(p.value, a.value) AS value,
           p.plan, COALESCE(a.actual, 0) AS actual,
           COALESCE(p.basis, 'no plan') AS basis
    FROM plan p
    FULL OUTER JOIN (SELECT dimension, value, actual FROM actual) a
      ON a.dimension = p.dimension AND a.value = p.value
),
keyed AS (
    SELECT b.*,
           CASE WHEN CAST($rep AS VARCHAR) IS NOT NULL THEN 'rep ' || CAST($rep AS VARCHAR) || ' · '
                WHEN CAST($team AS VARCHAR) IS NOT NULL
                    THEN 'team ' || CAST($team AS VARCHAR) || ' · '
                ELSE '' END || b.dimension || ': ' || b.value AS bucket
    FROM buckets b
    WHERE COALESCE(b.plan, 0) <> 0 OR b.actual <> 0
),
notes AS (
    SELECT bucket, note, saved_at
    FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY saved_at DESC) AS rn
        FROM qbr_notes
        WHERE period = CAST($period AS VARCHAR)
    ) ranked
    WHERE rn = 1
)
SELECT k.dimension, k.value, k.plan, k.actual,
       k.actual - k.plan AS variance,
       k.actual / NULLIF(k.plan, 0) - 1 AS variance_pct,
       k.basis, k.bucket, n.note, n.saved_at AS note_saved_at
FROM keyed k
LEFT JOIN notes n ON n.bucket = k.bucket
ORDER BY CASE k.dimension WHEN 'product' THEN 0 WHEN 'region' THEN 1 WHEN 'type' THEN 2 ELSE 3 END,
         COALESCE(k.plan, 0) DESC, k.actual DESC, k.value
