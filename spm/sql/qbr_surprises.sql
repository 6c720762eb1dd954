-- Surprises (SPEC §4): deals won with close_date in [$start, $end) in the snapshot taken on
-- $s1 that were not in the start pipeline S0 (open, not Omitted, close_date in the period in the
-- snapshot taken on $s0, owned inside the filter then). Owners filtered by $team / $rep.
-- One row per rep with won deals (level 'rep') plus a 'total' row; money as DOUBLE.
WITH owners AS (
    SELECT rep, team FROM reps
),
start_pipe AS (
    SELECT o.opportunity_id
    FROM opportunity_snapshots o
    LEFT JOIN owners w ON w.rep = o.owner
    WHERE o.as_of = CAST($s0 AS DATE)
      AND NOT o.is_closed AND o.forecast_category <> 'Omitted'
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(w.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
won AS (
    SELECT o.opportunity_id, o.owner, COALESCE(w.team, '(no team)') AS team,
           COALESCE(o.amount, 0) AS amount,
           o.opportunity_id NOT IN (SELECT opportunity_id FROM start_pipe) AS surprise
    FROM opportunity_snapshots o
    LEFT JOIN owners w ON w.rep = o.owner
    WHERE o.as_of = CAST($s1 AS DATE) AND o.is_won
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(w.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
grouped AS (
    SELECT CASE WHEN GROUPING(owner) = 1 THEN 'total' ELSE 'rep' END AS level,
           owner AS rep,
           CASE WHEN GROUPING(owner) = 1 THEN COALESCE(CAST($team AS VARCHAR), '(all teams)')
                ELSE min(team) END AS team,
           sum(amount) AS bookings,
           COALESCE(sum(amount) FILTER (WHERE surprise), 0) AS surprise_bookings,
           count(*) AS won_deals,
           count(*) FILTER (WHERE surprise) AS surprise_deals
    FROM won
    GROUP BY GROUPING SETS ((owner), ())
)
SELECT level, rep, team,
       CAST(bookings AS DOUBLE) AS bookings,
       CAST(surprise_bookings AS DOUBLE) AS surprise_bookings,
       CAST(surprise_bookings AS DOUBLE) / NULLIF(CAST(bookings AS DOUBLE), 0) AS surprise_share,
       won_deals, surprise_deals
FROM grouped
ORDER BY level, surprise_bookings DESC, rep
