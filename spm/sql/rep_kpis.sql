-- Rep KPIs for deals with close_date in [$start, $end), in the latest snapshot on or before
-- $as_of (NULL = latest), for reps filtered by $team / $rep (NULL = all). $start and $end are
-- dates, or lists of dates of the same length to compute several periods in one pass.
-- Returns per period (period_start) one row per rep (level 'rep') plus one row for the whole
-- filter (level 'total') whose ratios are recomputed from its sums. Money as DOUBLE, rates as
-- fractions, cycle in days.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
periods AS (
    -- [x] flattened: a single date and a list of dates both give one row per period
    SELECT unnest([$start], recursive := true) AS p_start,
           unnest([$end], recursive := true) AS p_end
),
deals AS (
    SELECT p.p_start, p.p_end, o.owner, o.is_closed, o.is_won, o.forecast_category,
           CAST(o.amount AS DOUBLE) AS amount,
           CAST(o.close_date - o.created_date AS DOUBLE) AS cycle_days
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    JOIN periods p ON o.close_date >= p.p_start AND o.close_date < p.p_end
),
roster AS (
    SELECT p.p_start, p.p_end, r.rep, r.team, r.hire_date, r.ramp_months, r.end_date
    FROM reps r, periods p
    UNION ALL
    -- deal owners the reps file does not list still own their numbers
    SELECT DISTINCT p_start, p_end, owner, '(no team)', CAST(NULL AS DATE),
           CAST(NULL AS INTEGER), CAST(NULL AS DATE)
    FROM deals
    WHERE owner NOT IN (SELECT rep FROM reps)
),
members AS (
    SELECT r.p_start, r.rep, r.team,
           -- ramp fraction: whole months from hire_date to the period's end (the day after
           -- it), capped at ramp_months; 0 for a rep who left before it or joins after it
           CASE
               WHEN r.end_date < r.p_start THEN 0.0
               WHEN r.hire_date >= r.p_end THEN 0.0
               WHEN r.hire_date IS NULL OR COALESCE(r.ramp_months, 0) = 0 THEN 1.0
               ELSE LEAST(1.0, CAST(
                   EXTRACT(YEAR FROM r.p_end) * 12 + EXTRACT(MONTH FROM r.p_end)
                   - EXTRACT(YEAR FROM r.hire_date) * 12 - EXTRACT(MONTH FROM r.hire_date)
                   - CASE WHEN EXTRACT(DAY FROM r.p_end)
                               < EXTRACT(DAY FROM r.hire_date) THEN 1 ELSE 0 END
                   AS DOUBLE) / r.ramp_months)
           END AS heads
    FROM roster r
    WHERE (CAST($team AS VARCHAR) IS NULL OR r.team = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR r.rep = CAST($rep AS VARCHAR))
      AND (r.end_date IS NULL OR r.end_date >= r.p_start
           OR EXISTS (SELECT 1 FROM deals d WHERE d.p_start = r.p_start AND d.owner = r.rep))
),
rep_quota AS (
    SELECT p.p_start, q.rep, sum(q.quota) AS quota
    FROM rep_month_quotas q
    JOIN periods p ON q.month >= p.p_start AND q.month < p.p_end
    GROUP BY p.p_start, q.rep
),
deal_stats AS (
    SELECT d.p_start,
           CASE WHEN GROUPING(d.owner) = 1 THEN 'total' ELSE 'rep' END AS level,
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
    JOIN members m ON m.p_start = d.p_start AND m.rep = d.owner
    GROUP BY GROUPING SETS ((d.p_start, d.owner), (d.p_start))
),
targets AS (
    SELECT m.p_start, 'rep' AS level, m.rep, m.team, m.heads, q.quota
    FROM members m
    LEFT JOIN rep_quota q ON q.p_start = m.p_start AND q.rep = m.rep
    UNION ALL
    SELECT p.p_start, 'total', CAST(NULL AS VARCHAR),
           COALESCE(CAST($team AS VARCHAR), '(all teams)'), COALESCE(sum(m.heads), 0),
           sum(q.quota)
    FROM periods p
    LEFT JOIN members m ON m.p_start = p.p_start
    LEFT JOIN rep_quota q ON q.p_start = m.p_start AND q.rep = m.rep
    GROUP BY p.p_start
),
base AS (
    SELECT t.p_start, t.level, t.rep, t.team, t.heads, t.quota,
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
      -- rep is NULL on both sides of the 'total' rows: one hash key, no residual OR
      ON s.p_start = t.p_start AND s.level = t.level AND s.rep IS NOT DISTINCT FROM t.rep
),
top2 AS (
    SELECT p_start, sum(bookings) AS bookings
    FROM (
        SELECT p_start, bookings,
               ROW_NUMBER() OVER (PARTITION BY p_start ORDER BY bookings DESC, rep) AS rn
        FROM base
        WHERE level = 'rep'
    ) ranked
    WHERE rn <= 2
    GROUP BY p_start
)
SELECT b.p_start AS period_start, b.level, b.rep, b.team, b.won, b.lost,
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
       CASE WHEN b.level = 'total' THEN t2.bookings / NULLIF(b.bookings, 0) END AS top2_share
FROM base b
LEFT JOIN top2 t2 ON t2.p_start = b.p_start
ORDER BY b.p_start, b.level, b.bookings DESC, b.rep
