-- Bookings per rep per month since hire (month 1 = the hire month), from the snapshot as of
-- $as_of, for reps with a hire date; months after $max_months are left out.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
)
SELECT r.rep, r.hire_date,
       (year(o.close_date) - year(r.hire_date)) * 12
           + month(o.close_date) - month(r.hire_date) + 1 AS month_since_hire,
       sum(o.amount) AS bookings
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
JOIN reps r ON r.rep = o.owner
WHERE o.is_won AND r.hire_date IS NOT NULL AND o.close_date >= r.hire_date
  AND (year(o.close_date) - year(r.hire_date)) * 12
      + month(o.close_date) - month(r.hire_date) + 1 <= $max_months
GROUP BY r.rep, r.hire_date, 3
ORDER BY r.rep, 3
