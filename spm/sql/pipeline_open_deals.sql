-- Open pipeline deals in the snapshot as of $as_of (NULL = latest): not closed and forecast
-- category not Omitted, any close date, for owners filtered by $team / $rep (NULL = all).
-- stage_category is the stage's default forecast category from the stage mapping (NULL for an
-- unmapped stage): it says how far along the stage is, whatever category the rep chose.
-- age_days: days from created_date to the as-of date. No order (spm.pipeline.open_deals sorts).
WITH snap AS (
    SELECT max(as_of) AS as_of
    FROM snapshot_dates
    WHERE CAST($as_of AS DATE) IS NULL OR as_of <= CAST($as_of AS DATE)
)
SELECT o.opportunity_id, o.name, o.account, o.owner AS rep,
       COALESCE(r.team, '(no team)') AS team,
       o.stage, o.stage_order, s.forecast_category AS stage_category, o.forecast_category,
       CAST(o.amount AS DOUBLE) AS amount, o.close_date, o.created_date, o.lead_source,
       date_diff('day', o.created_date, snap.as_of) AS age_days,
       snap.as_of
FROM opportunity_snapshots o
JOIN snap ON o.as_of = snap.as_of
LEFT JOIN stages s ON lower(s.stage) = lower(o.stage)
LEFT JOIN reps r ON r.rep = o.owner
WHERE NOT o.is_closed
  AND o.forecast_category <> 'Omitted'
  AND (CAST($rep AS VARCHAR) IS NULL OR o.owner = CAST($rep AS VARCHAR))
  AND (CAST($team AS VARCHAR) IS NULL OR COALESCE(r.team, '(no team)') = CAST($team AS VARCHAR))
