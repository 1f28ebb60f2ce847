-- Tickets raised per month, building and floor: the heat map without filters, which is
-- what most maps ask. `heat_cells` keeps every kind, category and source apart (for
-- filtered maps), so a year of a large site is hundreds of thousands of rows to add up;
-- this is a few thousand. The trigger's statement keeps both (the rest of it is as in 0001).
CREATE TABLE heat_floors (
    site      text NOT NULL,
    month     date NOT NULL,
    building  text NOT NULL,
    floor     text NOT NULL,
    raised    integer NOT NULL,
    PRIMARY KEY (site, month, building, floor)
);

INSERT INTO heat_floors (site, month, building, floor, raised)
SELECT site, month, building, floor, sum(raised) FROM heat_cells
GROUP BY site, month, building, floor HAVING sum(raised) <> 0;

CREATE OR REPLACE FUNCTION count_changes(changed text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT format($q$
    WITH x AS (%s), m AS MATERIALIZED (
        SELECT x.sign, x.site, analytics.local_month(t.at, z.time_zone) AS month, x.building,
               x.floor, x.kind, x.category, x.priority, x.source, x.technician, t.*,
               array_remove(ARRAY[
                   analytics.hist_slot(0, t.response_s), analytics.hist_slot(1, t.dispatch_s),
                   analytics.hist_slot(2, t.handling_s), analytics.hist_slot(3, t.resolve_s),
                   analytics.hist_slot(4, t.alert_to_ticket_s),
                   analytics.hist_slot(5, t.alert_to_assignment_s)], NULL) AS slots
        FROM x
        JOIN analytics.sites AS z ON z.site = x.site
        CROSS JOIN LATERAL analytics.ticket_measures(
            x.created_at, x.resolved_at, x.cancelled_at, x.first_reopened_at, x.open_spans,
            x.sla_respond, x.sla_resolve, x.respond_escalated, x.resolve_escalated,
            x.first_time_fix, x.reopens, x.source, x.stars, x.response_s, x.dispatch_s,
            x.handling_s, x.resolve_s, x.alert_to_ticket_s, x.alert_to_assignment_s) AS t
    ), c AS MATERIALIZED (
        SELECT m.sign, m.site, m.month, d.dim, d.value, m.raised, m.resolved, m.cancelled,
               m.reopened, m.opened, m.opened_created_s, m.sla_respond_n,
               m.sla_respond_breached, m.sla_respond_escalated, m.sla_resolve_n,
               m.sla_resolve_breached, m.sla_resolve_escalated, m.first_time_fixed,
               m.reopened_resolved, m.rateable, m.rated, m.stars_sum, m.stars_high,
               m.response_s, m.dispatch_s, m.handling_s, m.resolve_s, m.alert_to_ticket_s,
               m.alert_to_assignment_s, m.slots
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
            alert_to_assignment_sum, hist)
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
               coalesce(sum(sign * alert_to_assignment_s), 0)
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

CREATE OR REPLACE FUNCTION rebuild_site(which text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    moved bigint;
BEGIN
    DELETE FROM analytics.kpi_cells WHERE site = which;
    DELETE FROM analytics.heat_cells WHERE site = which;
    DELETE FROM analytics.heat_floors WHERE site = which;
    WITH gone AS (DELETE FROM analytics.tickets WHERE site = which RETURNING *)
    INSERT INTO analytics.tickets SELECT * FROM gone;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$fn$;
