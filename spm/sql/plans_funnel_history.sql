-- The reverse funnel as it happened: deals closed with close_date in [$start, $end), in the
-- latest snapshot on or before $as_of (NULL = latest), per window (numbered from 0), owner,
-- offering (product), lead source and type, for owners in $team (NULL = all). $start and $end
-- are lists of dates of the same length, one window each, so that windows share one pass.
-- Every decided deal was a prospect; "opportunities" were seen open at stage order >=
-- $qualified_order, "proposals" at >= $proposal_order. Won deals reached every stage, and so
-- does a deal never seen open (no snapshot history to tell).
-- A missing type follows the owner's role (hunter -> new, farmer -> existing).
-- How far a deal got comes from deal_stage_history (spm.derived: each stage a deal was seen open
-- in, with the first snapshot showing it there), not from every snapshot row.
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
),
windows AS (
    -- numbered, not keyed by start: two windows may be the same
    SELECT unnest(range(len(CAST($start AS DATE[])))) AS w,
           unnest(CAST($start AS DATE[])) AS w_start,
           unnest(CAST($end AS DATE[])) AS w_end
),
deals AS (
    SELECT w.w,
           o.opportunity_id,
           o.owner AS rep,
           COALESCE(o.product, '(no product)') AS offering,
           COALESCE(o.lead_source, '(unknown)') AS lead_source,
           COALESCE(lower(o.type),
                    CASE lower(r.role) WHEN 'hunter' THEN 'new' WHEN 'farmer' THEN 'existing' END,
                    'new') AS type,
           o.is_won,
           CAST(o.amount AS DOUBLE) AS amount
    FROM opportunity_snapshots o
    JOIN snap ON o.as_of = snap.as_of
    JOIN windows w ON o.close_date >= w.w_start AND o.close_date < w.w_end
    LEFT JOIN reps r ON r.rep = o.owner
    WHERE o.is_closed
      -- the span of all windows as constants: the scan skips row groups outside it
      AND o.close_date >= list_min(CAST($start AS DATE[]))
      AND o.close_date < list_max(CAST($end AS DATE[]))
      AND (CAST($team AS VARCHAR) IS NULL
           OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
),
reached AS (
    -- the highest open stage each lost deal was seen in by the snapshot (won ones reached all)
    SELECT h.opportunity_id, max(COALESCE(s.stage_order, 0)) AS max_open_order
    FROM deal_stage_history h
    JOIN snap ON h.first_seen <= snap.as_of
    LEFT JOIN stages s ON lower(s.stage) = lower(h.stage)
    WHERE h.opportunity_id IN (SELECT opportunity_id FROM deals WHERE NOT is_won)
    GROUP BY h.opportunity_id
)
SELECT d.w AS window, d.rep, d.offering, d.lead_source, d.type,
       count(*) AS prospects,
       count(*) FILTER (WHERE d.is_won OR h.max_open_order IS NULL
                        OR h.max_open_order >= $qualified_order) AS opportunities,
       count(*) FILTER (WHERE d.is_won OR h.max_open_order IS NULL
                        OR h.max_open_order >= $proposal_order) AS proposals,
       count(*) FILTER (WHERE d.is_won) AS won,
       count(*) FILTER (WHERE NOT d.is_won) AS lost,
       COALESCE(sum(d.amount) FILTER (WHERE d.is_won), 0) AS bookings
FROM deals d
LEFT JOIN reached h ON h.opportunity_id = d.opportunity_id
GROUP BY d.w, d.rep, d.offering, d.lead_source, d.type
ORDER BY d.w, d.rep, d.offering, d.lead_source, d.type
