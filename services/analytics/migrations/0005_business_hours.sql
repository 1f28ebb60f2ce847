-- Durations in business hours beside the wall-clock ones (docs/design.md, "Business
-- hours"): the follower writes them per ticket from the calendar the SLA service times the
-- ticket by; the summaries keep their sums and histograms like the others' (measures 6-9
-- of hist_slot: response, dispatch, handling, resolve). Tickets counted before this
-- migration have none until an event of theirs comes: their working stretches
-- (`work_spans`) were not kept, so their business handling time stays absent.
ALTER TABLE tickets
    ADD COLUMN work_spans     tstzmultirange,
    ADD COLUMN response_bh_s  double precision,
    ADD COLUMN dispatch_bh_s  double precision,
    ADD COLUMN handling_bh_s  double precision,
    ADD COLUMN resolve_bh_s   double precision;

ALTER TABLE kpi_cells
    ADD COLUMN response_bh_n    integer NOT NULL DEFAULT 0,
    ADD COLUMN response_bh_sum  double precision NOT NULL DEFAULT 0,
    ADD COLUMN dispatch_bh_n    integer NOT NULL DEFAULT 0,
    ADD COLUMN dispatch_bh_sum  double precision NOT NULL DEFAULT 0,
    ADD COLUMN handling_bh_n    integer NOT NULL DEFAULT 0,
    ADD COLUMN handling_bh_sum  double precision NOT NULL DEFAULT 0,
    ADD COLUMN resolve_bh_n     integer NOT NULL DEFAULT 0,
    ADD COLUMN resolve_bh_sum   double precision NOT NULL DEFAULT 0;

-- Histograms grow from 6 to 10 measures of 152 buckets.
UPDATE kpi_cells SET hist = hist || array_fill(0, ARRAY[4 * 152]) WHERE hist IS NOT NULL;

CREATE OR REPLACE FUNCTION hist_from(slots integer[], counts integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    hist integer[] := array_fill(0, ARRAY[10 * 152]);
BEGIN
    FOR i IN 1 .. cardinality(slots) LOOP
        hist[slots[i] + 1] := counts[i];
    END LOOP;
    RETURN hist;
END
$fn$;

-- As in 0001, with the business-hours durations: response and dispatch on the day of
-- raising, handling and resolve on the day of resolution.
DROP FUNCTION ticket_measures(
    timestamptz, timestamptz, timestamptz, timestamptz, tstzmultirange, text, text, boolean,
    boolean, boolean, integer, text, smallint, double precision, double precision,
    double precision, double precision, double precision, double precision);

CREATE FUNCTION ticket_measures(
    created_at timestamptz, resolved_at timestamptz, cancelled_at timestamptz,
    first_reopened_at timestamptz, open_spans tstzmultirange, sla_respond text,
    sla_resolve text, respond_escalated boolean, resolve_escalated boolean,
    first_time_fix boolean, reopens integer, source text, stars smallint,
    response_s double precision, dispatch_s double precision, handling_s double precision,
    resolve_s double precision, alert_to_ticket_s double precision,
    alert_to_assignment_s double precision, response_bh_s double precision,
    dispatch_bh_s double precision, handling_bh_s double precision,
    resolve_bh_s double precision
)
RETURNS TABLE (
    at timestamptz, raised integer, resolved integer, cancelled integer, reopened integer,
    opened integer, opened_created_s bigint,
    sla_respond_n integer, sla_respond_breached integer, sla_respond_escalated integer,
    sla_resolve_n integer, sla_resolve_breached integer, sla_resolve_escalated integer,
    first_time_fixed integer, reopened_resolved integer, rateable integer, rated integer,
    stars_sum integer, stars_high integer,
    response_s double precision, dispatch_s double precision, handling_s double precision,
    resolve_s double precision, alert_to_ticket_s double precision,
    alert_to_assignment_s double precision, response_bh_s double precision,
    dispatch_bh_s double precision, handling_bh_s double precision,
    resolve_bh_s double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1, 1, 0, 0, 0, 0, 0::bigint,
           ($6 IS NOT NULL)::integer, ($6 IS NOT DISTINCT FROM 'breached')::integer, $8::integer,
           ($7 IS NOT NULL)::integer, ($7 IS NOT DISTINCT FROM 'breached')::integer, $9::integer,
           0, 0, 0, 0, 0, 0,
           $14, $15, NULL::double precision, NULL::double precision, $18, $19,
           $20, $21, NULL::double precision, NULL::double precision
    UNION ALL
    SELECT $2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           coalesce($10, false)::integer, ($11 > 0)::integer,
           ($12 = 'tenant' OR $13 IS NOT NULL)::integer, ($13 IS NOT NULL)::integer,
           coalesce($13, 0), (coalesce($13, 0) >= 4)::integer,
           NULL, NULL, $16, $17, NULL, NULL, NULL, NULL, $22, $23
    WHERE $2 IS NOT NULL
    UNION ALL
    SELECT $3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE $3 IS NOT NULL
    UNION ALL
    SELECT $4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE $4 IS NOT NULL
    UNION ALL
    SELECT b.at, 0, 0, 0, 0, b.delta, b.delta * floor(extract(epoch FROM $1))::bigint,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL
    FROM unnest($5) AS s
    CROSS JOIN LATERAL (VALUES (lower(s), 1), (upper(s), -1)) AS b (at, delta)
    WHERE b.at IS NOT NULL
$$;

-- As in 0002, with the business-hours durations.
CREATE OR REPLACE FUNCTION count_changes(changed text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT format($q$
    WITH x AS (%s), m AS MATERIALIZED (
        SELECT x.sign, x.site, analytics.local_month(t.at, z.time_zone) AS month, x.building,
               x.floor, x.kind, x.category, x.priority, x.source, x.technician, t.*,
               array_remove(ARRAY[
                   analytics.hist_slot(0, t.response_s), analytics.hist_slot(1, t.dispatch_s),
                   analytics.hist_slot(2, t.handling_s), analytics.hist_slot(3, t.resolve_s),
                   analytics.hist_slot(4, t.alert_to_ticket_s),
                   analytics.hist_slot(5, t.alert_to_assignment_s),
                   analytics.hist_slot(6, t.response_bh_s), analytics.hist_slot(7, t.dispatch_bh_s),
                   analytics.hist_slot(8, t.handling_bh_s), analytics.hist_slot(9, t.resolve_bh_s)],
                   NULL) AS slots
        FROM x
        JOIN analytics.sites AS z ON z.site = x.site
        CROSS JOIN LATERAL analytics.ticket_measures(
            x.created_at, x.resolved_at, x.cancelled_at, x.first_reopened_at, x.open_spans,
            x.sla_respond, x.sla_resolve, x.respond_escalated, x.resolve_escalated,
            x.first_time_fix, x.reopens, x.source, x.stars, x.response_s, x.dispatch_s,
            x.handling_s, x.resolve_s, x.alert_to_ticket_s, x.alert_to_assignment_s,
            x.response_bh_s, x.dispatch_bh_s, x.handling_bh_s, x.resolve_bh_s) AS t
    ), c AS MATERIALIZED (
        SELECT m.sign, m.site, m.month, d.dim, d.value, m.raised, m.resolved, m.cancelled,
               m.reopened, m.opened, m.opened_created_s, m.sla_respond_n,
               m.sla_respond_breached, m.sla_respond_escalated, m.sla_resolve_n,
               m.sla_resolve_breached, m.sla_resolve_escalated, m.first_time_fixed,
               m.reopened_resolved, m.rateable, m.rated, m.stars_sum, m.stars_high,
               m.response_s, m.dispatch_s, m.handling_s, m.resolve_s, m.alert_to_ticket_s,
               m.alert_to_assignment_s, m.response_bh_s, m.dispatch_bh_s, m.handling_bh_s,
               m.resolve_bh_s, m.slots
        FROM m CROSS JOIN LATERAL (VALUES ('', ''), ('building', m.building), ('kind', m.kind),
                                          ('category', m.category), ('priority', m.priority),
                                          ('source', m.source), ('technician', m.technician))
                                  AS d (dim, value)
    ), h AS (
        SELECT site, dim, value, month, analytics.hist_from(array_agg(slot), array_agg(n)) AS hist
        FROM (SELECT c.site, c.dim, c.value, c.month, s.slot, sum(c.sign)::integer AS n
              FROM c CROSS JOIN LATERAL unnest(c.slots) AS s (slot)
              GROUP BY c.site, c.dim, c.value, c.month, s.slot HAVING sum(c.sign) <> 0) AS counted
        GROUP BY site, dim, value, month
    ), kpi AS (
        INSERT INTO analytics.kpi_cells AS k (
            site, dim, value, month, raised, resolved, cancelled, reopened, opened,
            opened_created_s, sla_respond_n, sla_respond_breached, sla_respond_escalated,
            sla_resolve_n, sla_resolve_breached, sla_resolve_escalated, first_time_fixed,
            reopened_resolved, rateable, rated, stars_sum, stars_high, response_n,
            response_sum, dispatch_n, dispatch_sum, handling_n, handling_sum, resolve_n,
            resolve_sum, alert_to_ticket_n, alert_to_ticket_sum, alert_to_assignment_n,
            alert_to_assignment_sum, response_bh_n, response_bh_sum, dispatch_bh_n,
            dispatch_bh_sum, handling_bh_n, handling_bh_sum, resolve_bh_n, resolve_bh_sum, hist)
        SELECT sums.*, h.hist FROM (
        SELECT site, dim, value, month, sum(sign * raised), sum(sign * resolved),
               sum(sign * cancelled), sum(sign * reopened), sum(sign * opened),
               sum(sign * opened_created_s), sum(sign * sla_respond_n),
               sum(sign * sla_respond_breached), sum(sign * sla_respond_escalated),
               sum(sign * sla_resolve_n), sum(sign * sla_resolve_breached),
               sum(sign * sla_resolve_escalated), sum(sign * first_time_fixed),
               sum(sign * reopened_resolved), sum(sign * rateable), sum(sign * rated),
               sum(sign * stars_sum), sum(sign * stars_high),
               coalesce(sum(sign) FILTER (WHERE response_s IS NOT NULL), 0),
               coalesce(sum(sign * response_s), 0),
               coalesce(sum(sign) FILTER (WHERE dispatch_s IS NOT NULL), 0),
               coalesce(sum(sign * dispatch_s), 0),
               coalesce(sum(sign) FILTER (WHERE handling_s IS NOT NULL), 0),
               coalesce(sum(sign * handling_s), 0),
               coalesce(sum(sign) FILTER (WHERE resolve_s IS NOT NULL), 0),
               coalesce(sum(sign * resolve_s), 0),
               coalesce(sum(sign) FILTER (WHERE alert_to_ticket_s IS NOT NULL), 0),
               coalesce(sum(sign * alert_to_ticket_s), 0),
               coalesce(sum(sign) FILTER (WHERE alert_to_assignment_s IS NOT NULL), 0),
               coalesce(sum(sign * alert_to_assignment_s), 0),
               coalesce(sum(sign) FILTER (WHERE response_bh_s IS NOT NULL), 0),
               coalesce(sum(sign * response_bh_s), 0),
               coalesce(sum(sign) FILTER (WHERE dispatch_bh_s IS NOT NULL), 0),
               coalesce(sum(sign * dispatch_bh_s), 0),
               coalesce(sum(sign) FILTER (WHERE handling_bh_s IS NOT NULL), 0),
               coalesce(sum(sign * handling_bh_s), 0),
               coalesce(sum(sign) FILTER (WHERE resolve_bh_s IS NOT NULL), 0),
               coalesce(sum(sign * resolve_bh_s), 0)
        FROM c GROUP BY site, dim, value, month) AS sums LEFT JOIN h USING (site, dim, value, month)
        ON CONFLICT (site, dim, value, month) DO UPDATE SET
            raised = k.raised + EXCLUDED.raised, resolved = k.resolved + EXCLUDED.resolved,
            cancelled = k.cancelled + EXCLUDED.cancelled,
            reopened = k.reopened + EXCLUDED.reopened, opened = k.opened + EXCLUDED.opened,
            opened_created_s = k.opened_created_s + EXCLUDED.opened_created_s,
            sla_respond_n = k.sla_respond_n + EXCLUDED.sla_respond_n,
            sla_respond_breached = k.sla_respond_breached + EXCLUDED.sla_respond_breached,
            sla_respond_escalated = k.sla_respond_escalated + EXCLUDED.sla_respond_escalated,
            sla_resolve_n = k.sla_resolve_n + EXCLUDED.sla_resolve_n,
            sla_resolve_breached = k.sla_resolve_breached + EXCLUDED.sla_resolve_breached,
            sla_resolve_escalated = k.sla_resolve_escalated + EXCLUDED.sla_resolve_escalated,
            first_time_fixed = k.first_time_fixed + EXCLUDED.first_time_fixed,
            reopened_resolved = k.reopened_resolved + EXCLUDED.reopened_resolved,
            rateable = k.rateable + EXCLUDED.rateable, rated = k.rated + EXCLUDED.rated,
            stars_sum = k.stars_sum + EXCLUDED.stars_sum,
            stars_high = k.stars_high + EXCLUDED.stars_high,
            response_n = k.response_n + EXCLUDED.response_n,
            response_sum = k.response_sum + EXCLUDED.response_sum,
            dispatch_n = k.dispatch_n + EXCLUDED.dispatch_n,
            dispatch_sum = k.dispatch_sum + EXCLUDED.dispatch_sum,
            handling_n = k.handling_n + EXCLUDED.handling_n,
            handling_sum = k.handling_sum + EXCLUDED.handling_sum,
            resolve_n = k.resolve_n + EXCLUDED.resolve_n,
            resolve_sum = k.resolve_sum + EXCLUDED.resolve_sum,
            alert_to_ticket_n = k.alert_to_ticket_n + EXCLUDED.alert_to_ticket_n,
            alert_to_ticket_sum = k.alert_to_ticket_sum + EXCLUDED.alert_to_ticket_sum,
            alert_to_assignment_n = k.alert_to_assignment_n + EXCLUDED.alert_to_assignment_n,
            alert_to_assignment_sum = k.alert_to_assignment_sum + EXCLUDED.alert_to_assignment_sum,
            response_bh_n = k.response_bh_n + EXCLUDED.response_bh_n,
            response_bh_sum = k.response_bh_sum + EXCLUDED.response_bh_sum,
            dispatch_bh_n = k.dispatch_bh_n + EXCLUDED.dispatch_bh_n,
            dispatch_bh_sum = k.dispatch_bh_sum + EXCLUDED.dispatch_bh_sum,
            handling_bh_n = k.handling_bh_n + EXCLUDED.handling_bh_n,
            handling_bh_sum = k.handling_bh_sum + EXCLUDED.handling_bh_sum,
            resolve_bh_n = k.resolve_bh_n + EXCLUDED.resolve_bh_n,
            resolve_bh_sum = k.resolve_bh_sum + EXCLUDED.resolve_bh_sum,
            hist = analytics.hist_add(k.hist, EXCLUDED.hist)
    ), floors AS (
        INSERT INTO analytics.heat_floors AS f (site, month, building, floor, raised)
        SELECT site, month, building, floor, sum(sign * raised)
        FROM m WHERE raised <> 0
        GROUP BY site, month, building, floor
        HAVING sum(sign * raised) <> 0
        ON CONFLICT (site, month, building, floor) DO UPDATE SET raised = f.raised + EXCLUDED.raised
    )
    INSERT INTO analytics.heat_cells AS h (site, month, building, floor, kind, category, source,
                                           raised)
    SELECT site, month, building, floor, kind, category, source, sum(sign * raised)
    FROM m WHERE raised <> 0
    GROUP BY site, month, building, floor, kind, category, source
    HAVING sum(sign * raised) <> 0
    ON CONFLICT (site, month, building, floor, kind, category, source)
    DO UPDATE SET raised = h.raised + EXCLUDED.raised
$q$, changed) $fn$;
