-- Stage history for win rates: every (deal, stage) an open deal was seen in, in snapshots up to
-- $last, with the first snapshot that showed it there, the first snapshot that showed the deal
-- closed (NULL while open) and whether it was won then, plus the stage mapping's default
-- probability. A stage's win rate at a date t = won / closed among its deals closed by t.
WITH history AS (
    SELECT opportunity_id, stage, as_of, is_closed, is_won
    FROM opportunity_snapshots
    WHERE as_of <= CAST($last AS DATE)
),
closing AS (
    SELECT opportunity_id, as_of AS closed_at, is_won
    FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY as_of) AS rn
          FROM history
          WHERE is_closed) first_closed
    WHERE rn = 1
),
pairs AS (
    SELECT opportunity_id, stage, min(as_of) AS first_seen
    FROM history
    WHERE NOT is_closed
    GROUP BY opportunity_id, stage
)
SELECT p.opportunity_id, p.stage, COALESCE(s.stage_order, 0) AS stage_order, p.first_seen,
       c.closed_at, COALESCE(c.is_won, FALSE) AS won,
       s.probability AS default_probability
FROM pairs p
LEFT JOIN closing c ON c.opportunity_id = p.opportunity_id
LEFT JOIN stages s ON lower(s.stage) = lower(p.stage)
ORDER BY p.stage, p.first_seen, p.opportunity_id
