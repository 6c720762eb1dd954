-- Pipeline waterfall (SPEC §4) for close dates in [$start, $end) between the snapshots taken on
-- exactly $s0 and $s1, for owners filtered by $team / $rep (NULL = all; an owner's team comes
-- from reps, '(no team)' when unlisted; ownership is read in each snapshot). One row per deal
-- touched (level 'deal') with the non-negative amount it puts in each bucket (NULL when it is
-- not in that bucket), plus one 'total' row of bucket sums, in no particular order (callers
-- sort). DECIMAL throughout, so
-- start + created + pulled_in + increased - decreased - won - lost - pushed_out - removed = end
-- holds exactly.
WITH owners AS (
    SELECT rep, team FROM reps
),
-- S0: open (not Omitted) in s0 with a close date in the period, owned inside the filter then
start_pipe AS (
    SELECT o.opportunity_id, o.name, o.account, o.owner, o.stage, o.close_date,
           o.forecast_category, COALESCE(o.amount, 0) AS amount,
           COALESCE(w.team, '(no team)') AS team
    FROM opportunity_snapshots o
    LEFT JOIN owners w ON w.rep = o.owner
    WHERE o.as_of = CAST($s0 AS DATE)
      AND NOT o.is_closed AND o.forecast_category <> 'Omitted'
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(w.team, '(no team)') = CAST($team AS VARCHAR))
      AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
),
-- Only s1 deals dated in the period or in S0 can fall in a bucket: the rest are never read.
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
      AND ((o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE))
           OR o.opportunity_id IN (SELECT opportunity_id FROM start_pipe))
),
-- the s1 deals that were in the start snapshot at all (any owner, stage or close date)
seen_in_s0 AS (
    SELECT opportunity_id
    FROM opportunity_snapshots
    WHERE as_of = CAST($s0 AS DATE) AND opportunity_id IN (SELECT opportunity_id FROM snap1)
),
joined AS (
    SELECT COALESCE(e.opportunity_id, b.opportunity_id) AS opportunity_id,
           COALESCE(e.name, b.name) AS name,
           COALESCE(e.account, b.account) AS account,
           COALESCE(e.owner, b.owner) AS owner,
           COALESCE(e.team, b.team) AS team,
           b.opportunity_id IS NOT NULL AS in_start,
           e.opportunity_id IS NOT NULL AS in_end_snapshot,
           b.opportunity_id IS NULL AND e.opportunity_id IN (SELECT opportunity_id FROM seen_in_s0)
               AS elsewhere_in_s0,
           b.amount AS amount_s0, e.amount AS amount_s1,
           b.close_date AS close_date_s0, e.close_date AS close_date_s1,
           b.stage AS stage_s0, e.stage AS stage_s1,
           b.forecast_category AS category_s0, e.forecast_category AS category_s1,
           COALESCE(e.won, FALSE) AS is_won, COALESCE(e.lost, FALSE) AS is_lost,
           COALESCE(e.open, FALSE) AS is_open, COALESCE(e.omitted, FALSE) AS is_omitted,
           COALESCE(e.in_period, FALSE) AS in_period
    FROM start_pipe b
    FULL OUTER JOIN snap1 e ON e.opportunity_id = b.opportunity_id
),
buckets AS (
    SELECT opportunity_id, name, account, owner, team, amount_s0, amount_s1, close_date_s0,
           close_date_s1, stage_s0, stage_s1, category_s0, category_s1,
           CASE WHEN in_start THEN amount_s0 END AS "start",
           -- U1: open in P, or won / lost in P, in s1
           CASE WHEN NOT in_start AND in_period AND (is_open OR is_won OR is_lost)
                     AND NOT elsewhere_in_s0 THEN amount_s1 END AS created,
           CASE WHEN NOT in_start AND in_period AND (is_open OR is_won OR is_lost)
                     AND elsewhere_in_s0 THEN amount_s1 END AS pulled_in,
           CASE WHEN in_start AND in_period AND (is_open OR is_won) AND amount_s1 > amount_s0
                THEN amount_s1 - amount_s0 END AS increased,
           CASE WHEN in_start AND in_period AND (is_open OR is_won) AND amount_s1 < amount_s0
                THEN amount_s0 - amount_s1 END AS decreased,
           CASE WHEN is_won AND in_period THEN amount_s1 END AS won,
           CASE WHEN in_start AND is_lost THEN amount_s0
                WHEN NOT in_start AND is_lost AND in_period THEN amount_s1 END AS lost,
           CASE WHEN in_start AND (is_open OR is_won) AND NOT in_period THEN amount_s0 END
               AS pushed_out,
           CASE WHEN in_start AND (NOT in_end_snapshot OR is_omitted) THEN amount_s0 END
               AS removed,
           CASE WHEN is_open AND in_period THEN amount_s1 END AS "end"
    FROM joined
),
touched AS (
    SELECT * FROM buckets
    WHERE "start" IS NOT NULL OR created IS NOT NULL OR pulled_in IS NOT NULL
       OR won IS NOT NULL OR lost IS NOT NULL OR "end" IS NOT NULL
)
SELECT 'deal' AS level, *
FROM touched
UNION ALL
SELECT 'total', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       COALESCE(sum("start"), 0), COALESCE(sum(created), 0), COALESCE(sum(pulled_in), 0),
       COALESCE(sum(increased), 0), COALESCE(sum(decreased), 0), COALESCE(sum(won), 0),
       COALESCE(sum(lost), 0), COALESCE(sum(pushed_out), 0), COALESCE(sum(removed), 0),
       COALESCE(sum("end"), 0)
FROM touched
