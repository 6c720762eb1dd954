-- What the pre-aggregated tables (spm.derived) are computed from, as one string: snapshot, rep,
-- quota, account and activity row counts and newest load ids (DuckDB answers these from table
-- statistics, so this costs milliseconds on 18M rows), the loads table (an undo changes a
-- status), the stage mapping's flags and probabilities, the fiscal-year start and the hygiene
-- thresholds. Any load, undo, stage or settings edit changes it; so does a plain SQL insert,
-- which never bumps the data version.
SELECT concat_ws('|',
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0))
     FROM opportunity_snapshot_rows),
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0)) FROM rep_rows),
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0)) FROM quota_rows),
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0)) FROM account_rows),
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0)) FROM activity_rows),
    (SELECT concat_ws(':', count(*), COALESCE(max(load_id), 0),
                      count(*) FILTER (WHERE status <> 'active'))
     FROM loads),
    (SELECT COALESCE(md5(string_agg(concat_ws(',', lower(stage), stage_order, is_closed, is_won,
                                              probability), ';' ORDER BY lower(stage))), '')
     FROM stages),
    (SELECT COALESCE(string_agg(concat_ws('=', key, value), ';' ORDER BY key), '')
     FROM settings
     WHERE key IN ('fiscal_year_start_month', 'stale_days', 'pushed_times'))
) AS fingerprint
