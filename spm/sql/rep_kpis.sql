-- Rep KPIs for deals with close_date in [$start, $end), in the latest snapshot on or before
-- $as_of (NULL = latest), for reps filtered by $team / $rep (NULL = all). Returns one row per
-- rep (level 'rep') plus one row for the whole filter (level 'total') whose ratios are
-- recomputed from its sums. Money as DOUBLE, rates as fractions, cycle in days.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
deals AS (
    SELECT o.owner, o.is_closed, o.is_won, o.forecast_category,
           CAST(o.amount AS DOUBLE) AS amount,
           CAST(o.close_date - o.created_date AS DOUBLE) AS cycle_days
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    WHERE o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
),
roster AS (
    SELECT rep, team, hire_date, ramp_months, end_date FROM reps
    UNION ALL
    -- deal owners the reps file does not list still own their numbers
    SELECT DISTINCT owner, '(no team)', CAST(NULL AS DATE), CAST(NULL AS INTEGER),
           CAST(NULL AS DATE)
    FROM deals
    WHERE owner NOT IN (SELECT rep FROM reps)
),
members AS (
    SELECT r.rep, r.team,
           -- ramp fraction: whole months from hire_date to $end (the day after P), capped at
           -- ramp_months; 0 for a rep who left before P or joins after it
           CASE
               WHEN r.end_date < CAST($start AS DATE) THEN 0.0
               WHEN r.hire_date >= CAST($end AS DATE) THEN 0.0
               WHEN r.hire_date IS NULL OR COALESCE(r.ramp_months, 0) = 0 THEN 1.0
               ELSE LEAST(1.0, CAST(
                   EXTRACT(YEAR FROM CAST($end AS DATE)) * 12
                   + EXTRACT(MONTH FROM CAST($end AS DATE))
                   - EXTRACT(YEAR FROM r.hire_date) * 12 - EXTRACT(MONTH FROM r.hire_date)
                   - CASE WHEN EXTRACT(DAY FROM CAST($end AS DATE))
                               < EXTRACT(DAY FROM r.hire_date) THEN 1 ELSE 0 END
                   AS DOUBLE) / r.ramp_months)
           END AS heads
    FROM roster r
    WHERE (CAST($team AS VARCHAR) IS NULL OR r.team = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR r.rep = CAST($rep AS VARCHAR))
      AND (r.end_date IS NULL OR r.end_date >= CAST($start AS DATE)
           OR r.rep IN (SELECT owner FROM deals))
),
quota_months AS (
    SELECT rep, month, quota
    FROM rep_month_quotas
    WHERE month >= CAST($start AS DATE) AND month < CAST($end AS DATE)
),
rep_quota AS (
    SELECT rep, sum(quota) AS quota FROM quota_months GROUP BY rep
),
deal_stats AS (
    SELECT CASE WHEN GROUPING(d.owner) = 1 THEN 'total' ELSE 'rep' END AS level,
           d.owner AS rep,
           count(*) FILTER (WHERE d.is_won) AS won,
           count(*) FILTER (WHERE d.is_closed AND NOT d.is_won) AS lost,
           COALESCE(sum(d.amount) FILTER (WHERE d.is_won), 0) AS bookings,
           sum(d.amount) FILTER (WHERE d.is_closed) AS closed_amount,
           COALESCE(sum(d.amount) FILTER (
               WHERE NOT d.is_closed AND d.forecast_category <> 'Omitted'), 0) AS open_pipeline,
           avg(d.cycle_days) FILTER (WHERE d.is_won) AS cycle_days,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY d.cycle_days) FILTER (WHERE d.is_won)
               AS cycle_median_days
    FROM deals d
    JOIN members m ON m.rep = d.owner
    GROUP BY GROUPING SETS ((d.owner), ())
),
targets AS (
    SELECT 'rep' AS level, m.rep, m.team, m.heads, q.quota
    FROM members m
    LEFT JOIN rep_quota q ON q.rep = m.rep
    UNION ALL
    SELECT 'total', CAST(NULL AS VARCHAR), COALESCE(CAST($team AS VARCHAR), '(all teams)'),
           COALESCE(sum(m.heads), 0), sum(q.quota)
    FROM members m
    LEFT JOIN rep_quota q ON q.rep = m.rep
),
base AS (
    SELECT t.level, t.rep, t.team, t.heads, t.quota,
           COALESCE(s.won, 0) AS won, COALESCE(s.lost, 0) AS lost,
           COALESCE(s.bookings, 0) AS bookings, s.closed_amount,
           COALESCE(s.open_pipeline, 0) AS open_pipeline,
           s.cycle_days, s.cycle_median_days,
           -- quota still to win; NULL without a quota
           CASE WHEN t.quota IS NULL THEN NULL
                WHEN t.quota > COALESCE(s.bookings, 0) THEN t.quota - COALESCE(s.bookings, 0)
                ELSE 0 END AS gap
    FROM targets t
    LEFT JOIN deal_stats s
      ON s.level = t.level AND (t.level = 'total' OR s.rep = t.rep)
),
top2 AS (
    SELECT sum(bookings) AS bookings
    FROM (
        SELECT bookings, ROW_NUMBER() OVER (ORDER BY bookings DESC, rep) AS rn
        FROM base
        WHERE level = 'rep'
    ) ranked
    WHERE rn <= 2
)
SELECT b.level, b.rep, b.team, b.won, b.lost,
       CAST(b.won AS DOUBLE) / NULLIF(b.won + b.lost, 0) AS win_rate,
       b.bookings / NULLIF(b.closed_amount, 0) AS value_win_rate,
       b.bookings,
       b.bookings / NULLIF(b.won, 0) AS ads,
       b.cycle_days, b.cycle_median_days, b.quota,
       b.bookings / NULLIF(b.quota, 0) AS attainment,
       b.open_pipeline,
       b.open_pipeline / NULLIF(b.gap, 0) AS coverage,
       COALESCE(b.gap = 0, FALSE) AS covered,
       b.heads,
       CASE WHEN b.level = 'total' THEN b.bookings / NULLIF(b.heads, 0) END AS revenue_per_head,
       CASE WHEN b.level = 'total' THEN (SELECT bookings FROM top2) / NULLIF(b.bookings, 0) END
           AS top2_share
FROM base b
ORDER BY b.level, b.bookings DESC, b.rep
