-- Pipeline waterfall (SPEC §4) for close dates in [$start, $end) between the snapshots taken on
-- exactly $s0 and $s1, for owners filtered by $team / $rep (NULL = all; an owner's team comes
-- from reps, '(no team)' when unlisted; ownership is read in each snapshot). One row per deal
-- touched (level 'deal') with the non-negative amount it puts in each bucket (NULL when it is
-- not in that bucket), plus one 'total' row of bucket sums. DECIMAL throughout, so
-- start + created + pulled_in + increased - decreased - won - lost - pushed_out - removed = end
-- holds exactly.
WITH owners AS (
    SELECT rep, team FROM reps
),
snap0 AS (
    SELECT o.opportunity_id, o.name, o.account, o.owner, o.stage, o.close_date,
           o.forecast_category, COALESCE(o.amount, 0) AS amount,
           COALESCE(w.team, '(no team)') AS team,
           -- "open" = open and not Omitted; close_date in the period
           COALESCE(NOT o.is_closed AND o.forecast_category <> 'Omitted'
                    AND o.close_date >= CAST($start AS DATE)
                    AND o.close_date < CAST($end AS DATE), FALSE) AS in_start
    FROM opportunity_snapshots o
    LEFT JOIN owners w ON w.rep = o.owner
    WHERE o.as_of = CAST($s0 AS DATE)
),
start_pipe AS (
    SELECT * FROM snap0
    WHERE in_start
      AND (CAST($team AS VARCHAR) IS NULL OR team = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR owner = CAST($rep AS VARCHAR))
),
snap1 AS (
    SELECT o.opportunity_id, o.name, o.account, o.owner, o.stage, o.close_date,
           o.forecast_category, COALESCE(o.amount, 0) AS amount,
           COALESCE(w.team, '(no team)') AS team,
           o.is_won AS won,
           o.is_closed AND NOT o.is_won AS lost,
           NOT o.is_closed AND o.forecast_category <> 'Omitted' AS open,
           NOT o.is_closed AND o.forecast_category = 'Omitted' AS omitted,
           COALESCE(o.close_date >= CAST($start AS DATE)
                    AND o.close_date < CAST($end AS DATE), FALSE) AS in_period
    FROM opportunity_snapshots o
    LEFT JOIN owners w ON w.rep = o.owner
    WHERE o.as_of = CAST($s1 AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(w.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
joined AS (
    SELECT COALESCE(e.opportunity_id, b.opportunity_id) AS opportunity_id,
           COALESCE(e.name, b.name) AS name,
           COALESCE(e.account, b.account) AS account,
           COALESCE(e.owner, b.owner) AS owner,
           COALESCE(e.team, b.team) AS team,
           b.opportunity_id IS NOT NULL AS in_start,
           e.opportunity_id IS NOT NULL AS in_end_snapshot,
           b.opportunity_id IS NULL AND e.opportunity_id IN (SELECT opportunity_id FROM snap0)
               AS elsewhere_in_s0,
           b.amount AS amount_s0, e.amount AS amount_s1,
           b.close_date AS close_date_s0, e.close_date AS close_date_s1,
           b.stage AS stage_s0, e.stage AS stage_s1,
           b.forecast_category AS category_s0, e.forecast_category AS category_s1,
           COALESCE(e.won, FALSE) AS won, COALESCE(e.lost, FALSE) AS lost,
           COALESCE(e.open, FALSE) AS open, COALESCE(e.omitted, FALSE) AS omitted,
           COALESCE(e.in_period, FALSE) AS in_period
    FROM start_pipe b
    FULL OUTER JOIN snap1 e ON e.opportunity_id = b.opportunity_id
),
buckets AS (
    SELECT j.*,
           CASE WHEN in_start THEN amount_s0 END AS "start",
           -- U1: open in P, or won / lost in P, in s1
           CASE WHEN NOT in_start AND in_period AND (open OR won OR lost)
                     AND NOT elsewhere_in_s0 THEN amount_s1 END AS created,
           CASE WHEN NOT in_start AND in_period AND (open OR won OR lost)
                     AND elsewhere_in_s0 THEN amount_s1 END AS pulled_in,
           CASE WHEN in_start AND in_period AND (open OR won) AND amount_s1 > amount_s0
                THEN amount_s1 - amount_s0 END AS increased,
           CASE WHEN in_start AND in_period AND (open OR won) AND amount_s1 < amount_s0
                THEN amount_s0 - amount_s1 END AS decreased,
           CASE WHEN won AND in_period THEN amount_s1 END AS won_amount,
           CASE WHEN in_start AND lost THEN amount_s0
                WHEN NOT in_start AND lost AND in_period THEN amount_s1 END AS lost_amount,
           CASE WHEN in_start AND (open OR won) AND NOT in_period THEN amount_s0 END
               AS pushed_out,
           CASE WHEN in_start AND (NOT in_end_snapshot OR omitted) THEN amount_s0 END
               AS removed,
           CASE WHEN open AND in_period THEN amount_s1 END AS "end"
    FROM joined j
),
touched AS (
    SELECT * FROM buckets
    WHERE "start" IS NOT NULL OR created IS NOT NULL OR pulled_in IS NOT NULL
       OR won_amount IS NOT NULL OR lost_amount IS NOT NULL OR "end" IS NOT NULL
)
SELECT 'deal' AS level, opportunity_id, name, account, owner, team,
       amount_s0, amount_s1, close_date_s0, close_date_s1, stage_s0, stage_s1,
       category_s0, category_s1,
       "start", created, pulled_in, increased, decreased, won_amount AS won, lost_amount AS lost,
       pushed_out, removed, "end"
FROM touched
UNION ALL
SELECT 'total', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       COALESCE(sum("start"), 0), COALESCE(sum(created), 0), COALESCE(sum(pulled_in), 0),
       COALESCE(sum(increased), 0), COALESCE(sum(decreased), 0), COALESCE(sum(won_amount), 0),
       COALESCE(sum(lost_amount), 0), COALESCE(sum(pushed_out), 0), COALESCE(sum(removed), 0),
       COALESCE(sum("end"), 0)
FROM touched
ORDER BY level, owner, opportunity_id
