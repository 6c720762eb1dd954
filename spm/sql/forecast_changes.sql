-- What changed for deals closing in [$start, $end) between snapshot $s0 and snapshot $s1 (exact
-- as-of dates), for owners in the $team / $rep filter (NULL = all). One row per deal and change:
--   new: absent from s0, in s1 with close_date in P;
--   pushed / pulled in: open in both, close_date later / earlier, in P in s0 or s1;
--   amount up / amount down: open in both, in P in s0 or s1, amount changed;
--   stage moved: open in both, in P in s0 or s1, stage changed;
--   category moved: open in both, in P in s0 or s1, forecast category changed;
--   won / lost: open in s0 (or absent) and closed in s1, in P in s0 or s1.
-- value: the amount the change is about (a1 for new, pulled in, stage/category moved and won;
-- a0 for pushed and lost; a1 - a0 for amount changes).
-- Every change needs the deal in P in s0 or s1: only those deals are joined (a few percent of a
-- snapshot that carries every closed deal), and `scoped` is materialised once rather than
-- re-read by each of the nine branches.
WITH in_p AS (
    SELECT DISTINCT opportunity_id FROM opportunity_snapshot_rows
    WHERE as_of IN (CAST($s0 AS DATE), CAST($s1 AS DATE)) AND superseded_by IS NULL
      AND close_date >= CAST($start AS DATE) AND close_date < CAST($end AS DATE)
),
d0 AS (
    SELECT opportunity_id, name, account, owner, is_closed, stage, forecast_category, amount,
           close_date
    FROM opportunity_snapshots
    WHERE as_of = CAST($s0 AS DATE) AND opportunity_id IN (SELECT opportunity_id FROM in_p)
),
d1 AS (
    SELECT opportunity_id, name, account, owner, is_closed, is_won, stage, forecast_category,
           amount, close_date
    FROM opportunity_snapshots
    WHERE as_of = CAST($s1 AS DATE) AND opportunity_id IN (SELECT opportunity_id FROM in_p)
),
rep_team AS (SELECT rep, team FROM reps),
pairs AS (
    SELECT COALESCE(d1.opportunity_id, d0.opportunity_id) AS opportunity_id,
           COALESCE(d1.name, d0.name) AS name,
           COALESCE(d1.account, d0.account) AS account,
           COALESCE(d1.owner, d0.owner) AS rep,
           d0.opportunity_id IS NOT NULL AS in_s0,
           d1.opportunity_id IS NOT NULL AS in_s1,
           d0.is_closed AS closed0, d1.is_closed AS closed1, d1.is_won AS won1,
           d0.stage AS stage_before, d1.stage AS stage_after,
           d0.forecast_category AS category_before, d1.forecast_category AS category_after,
           CAST(d0.amount AS DOUBLE) AS amount_before, CAST(d1.amount AS DOUBLE) AS amount_after,
           d0.close_date AS close_before, d1.close_date AS close_after,
           COALESCE(d0.close_date >= CAST($start AS DATE)
                    AND d0.close_date < CAST($end AS DATE), FALSE) AS p0,
           COALESCE(d1.close_date >= CAST($start AS DATE)
                    AND d1.close_date < CAST($end AS DATE), FALSE) AS p1
    FROM d0
    FULL OUTER JOIN d1 ON d1.opportunity_id = d0.opportunity_id
),
scoped AS MATERIALIZED (
    SELECT p.*, COALESCE(t.team, '(no team)') AS team
    FROM pairs p
    LEFT JOIN rep_team t ON t.rep = p.rep
    WHERE (CAST($rep AS VARCHAR) IS NULL OR p.rep = CAST($rep AS VARCHAR))
      AND (CAST($team AS VARCHAR) IS NULL
           OR COALESCE(t.team, '(no team)') = CAST($team AS VARCHAR))
),
both_open AS (
    SELECT * FROM scoped WHERE in_s0 AND in_s1 AND NOT closed0 AND NOT closed1 AND (p0 OR p1)
),
changes AS (
    SELECT 1 AS k, 'new' AS change, *, amount_after AS value
    FROM scoped WHERE NOT in_s0 AND in_s1 AND p1
    UNION ALL
    SELECT 2, 'pushed', *, amount_before FROM both_open WHERE close_after > close_before
    UNION ALL
    SELECT 3, 'pulled in', *, amount_after FROM both_open WHERE close_after < close_before
    UNION ALL
    SELECT 4, 'amount up', *, amount_after - amount_before
    FROM both_open WHERE amount_after > amount_before
    UNION ALL
    SELECT 5, 'amount down', *, amount_after - amount_before
    FROM both_open WHERE amount_after < amount_before
    UNION ALL
    SELECT 6, 'stage moved', *, amount_after
    FROM both_open WHERE stage_after IS DISTINCT FROM stage_before
    UNION ALL
    SELECT 7, 'category moved', *, amount_after
    FROM both_open WHERE category_after IS DISTINCT FROM category_before
    UNION ALL
    SELECT 8, 'won', *, amount_after
    FROM scoped WHERE in_s1 AND closed1 AND won1 AND NOT COALESCE(closed0, FALSE) AND (p0 OR p1)
    UNION ALL
    SELECT 9, 'lost', *, COALESCE(amount_before, amount_after)
    FROM scoped
    WHERE in_s1 AND closed1 AND NOT won1 AND NOT COALESCE(closed0, FALSE) AND (p0 OR p1)
)
SELECT change, opportunity_id, name, account, rep, team, stage_before, stage_after,
       category_before, category_after, amount_before, amount_after, close_before, close_after,
       p0 AS in_period_before, p1 AS in_period_after, value
FROM changes
ORDER BY k, abs(value) DESC NULLS LAST, opportunity_id
