-- Manager forecast calls saved for period label $period against the outcome: bookings with
-- close_date in [$start, $end) in the latest snapshot on or before $as_of (NULL = latest) of
-- the reps the caller manages (reps.manager or reps.team equal to the caller), else of all
-- owners in the $team filter. Errors are (call - actual) / actual, fractions; money as DOUBLE.
WITH snap AS (
    -- max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshot_rows
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
won AS (
    SELECT o.owner, r.manager, COALESCE(r.team, '(no team)') AS team,
           CAST(COALESCE(o.amount, 0) AS DOUBLE) AS amount
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_won
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
),
calls AS (
    SELECT manager, called_on, CAST(commit_amount AS DOUBLE) AS commit_call,
           CAST(best_case_amount AS DOUBLE) AS best_case_call, note
    FROM forecast_calls
    WHERE period = CAST($period AS VARCHAR)
),
outcome AS (
    SELECT c.*,
           CASE WHEN EXISTS (SELECT 1 FROM reps r WHERE r.manager = c.manager OR r.team = c.manager)
                THEN (SELECT COALESCE(sum(amount), 0) FROM won w
                      WHERE w.manager = c.manager OR w.team = c.manager)
                ELSE (SELECT COALESCE(sum(amount), 0) FROM won w
                      WHERE CAST($team AS VARCHAR) IS NULL OR w.team = CAST($team AS VARCHAR))
           END AS actual
    FROM calls c
    WHERE CAST($team AS VARCHAR) IS NULL
       OR c.manager = CAST($team AS VARCHAR)
       OR EXISTS (SELECT 1 FROM reps r WHERE r.team = CAST($team AS VARCHAR)
                                         AND r.manager = c.manager)
)
SELECT manager, called_on, commit_call, best_case_call, actual,
       (commit_call - actual) / NULLIF(actual, 0) AS commit_error,
       (best_case_call - actual) / NULLIF(actual, 0) AS best_case_error,
       note
FROM outcome
ORDER BY called_on, manager
