-- The reverse funnel as it happened: deals closed with close_date in [$start, $end), in the
-- latest snapshot on or before $as_of (NULL = latest), per owner, offering (product), lead source
-- and type, for owners in $team (NULL = all). Every decided deal was a prospect; "opportunities"
-- were seen open at stage order >= $qualified_order, "proposals" at >= $proposal_order. Won deals
-- reached every stage, and so does a deal never seen open (no snapshot history to tell).
-- A missing type follows the owner's role (hunter -> new, farmer -> existing).
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM opportunity_snapshots
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
reached AS (
    SELECT o.opportunity_id, max(o.stage_order) AS max_open_order
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of <= snap.as_of
    WHERE NOT o.is_closed
    GROUP BY o.opportunity_id
),
deals AS (
    SELECT o.owner AS rep,
           COALESCE(o.product, '(no product)') AS offering,
           COALESCE(o.lead_source, '(unknown)') AS lead_source,
           COALESCE(lower(o.type),
                    CASE lower(r.role) WHEN 'hunter' THEN 'new' WHEN 'farmer' THEN 'existing' END,
                    'new') AS type,
           o.is_won,
           CAST(o.amount AS DOUBLE) AS amount,
           h.max_open_order
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    LEFT JOIN reached h ON h.opportunity_id = o.opportunity_id
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_closed
      AND o.close_date >= CAST($start AS DATE) AND o.close_date < CAST($end AS DATE)
      AND (CAST($team AS VARCHAR) IS NULL
           OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
)
SELECT rep, offering, lead_source, type,
       count(*) AS prospects,
       count(*) FILTER (WHERE is_won OR max_open_order IS NULL
                        OR max_open_order >= $qualified_order) AS opportunities,
       count(*) FILTER (WHERE is_won OR max_open_order IS NULL
                        OR max_open_order >= $proposal_order) AS proposals,
       count(*) FILTER (WHERE is_won) AS won,
       count(*) FILTER (WHERE NOT is_won) AS lost,
       COALESCE(sum(amount) FILTER (WHERE is_won), 0) AS bookings
FROM deals
GROUP BY rep, offering, lead_source, type
ORDER BY rep, offering, lead_source, type
