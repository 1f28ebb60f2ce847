-- Schema analytics: the sites' time zones, one row of facts per ticket (kept by the
-- follower from intake's event log), monthly summaries that a trigger keeps in step with
-- those facts, and the follower's cursor. Runs with search_path = analytics, public; the
-- bodies of functions name their tables in full, since they run under any search_path.

-- Each site's IANA time zone, as intake's PlaceService gave it.
CREATE TABLE sites (
    site        text PRIMARY KEY,
    time_zone   text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- What each ticket's history made of it (services/analytics/domain/ticket.py derives every
-- column; SQL only places the figures in time). Never deleted: rebuild_site re-inserts.
CREATE TABLE tickets (
    ticket_id              uuid PRIMARY KEY,
    number                 text NOT NULL DEFAULT '',
    site                   text NOT NULL REFERENCES sites (site),
    building               text NOT NULL DEFAULT '',
    floor                  text NOT NULL DEFAULT '',
    unit                   text NOT NULL DEFAULT '',
    asset                  text NOT NULL DEFAULT '',
    kind                   text NOT NULL DEFAULT '',
    category               text NOT NULL DEFAULT '',
    priority               text NOT NULL DEFAULT '',
    source                 text NOT NULL DEFAULT '',
    device_id              text NOT NULL DEFAULT '',
    technician             text NOT NULL DEFAULT '',
    imported               boolean NOT NULL DEFAULT false,
    status                 text NOT NULL,
    created_at             timestamptz NOT NULL,
    accepted_at            timestamptz,
    assigned_at            timestamptz,
    resolved_at            timestamptz,
    cancelled_at           timestamptz,
    first_reopened_at      timestamptz,
    rated_at               timestamptz,
    alerted_at             timestamptz,
    stars                  smallint,
    reopens                integer NOT NULL DEFAULT 0,
    starts                 integer NOT NULL DEFAULT 0,
    parts_waits            integer NOT NULL DEFAULT 0,
    paused                 boolean NOT NULL DEFAULT false,
    work_s                 double precision NOT NULL DEFAULT 0,
    work_since             timestamptz,
    -- When the ticket was open: from raising (or a reopening) to resolution or cancellation.
    open_spans             tstzmultirange NOT NULL DEFAULT '{}',
    respond_breached_at    timestamptz,
    resolve_breached_at    timestamptz,
    respond_escalated      boolean NOT NULL DEFAULT false,
    resolve_escalated      boolean NOT NULL DEFAULT false,
    respond_reminded       boolean NOT NULL DEFAULT false,
    resolve_reminded       boolean NOT NULL DEFAULT false,
    -- Derived: durations in seconds (NULL when not known), SLA outcomes, first-time fix.
    response_s             double precision,
    dispatch_s             double precision,
    handling_s             double precision,
    resolve_s              double precision,
    alert_to_ticket_s      double precision,
    alert_to_assignment_s  double precision,
    sla_respond            text CHECK (sla_respond IN ('met', 'breached')),
    sla_resolve            text CHECK (sla_resolve IN ('met', 'breached')),
    first_time_fix         boolean,
    -- The latest instant any figure counts the ticket at; 'infinity' while it is open.
    last_at                timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Reports over a period read the tickets raised before its end and active after its start.
CREATE INDEX tickets_site_last_idx ON tickets (site, last_at, created_at);
CREATE INDEX tickets_open_idx ON tickets (site, priority) WHERE last_at = 'infinity';

-- Where this service is in intake's ticket event log.
CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The local date of an instant in a time zone: every figure is placed on one.
CREATE FUNCTION local_day(at timestamptz, zone text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (at AT TIME ZONE zone)::date;

CREATE FUNCTION local_month(at timestamptz, zone text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_trunc('month', at AT TIME ZONE zone)::date;

-- Histogram slot of a duration (services/analytics/domain/histogram.py): 152 buckets per
-- measure; [0, 1 s), then twenty to a decade from 1 s to 10^7.5 s, then the rest.
CREATE FUNCTION hist_slot(measure integer, seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN seconds IS NULL THEN NULL
            WHEN seconds < 1 THEN measure * 152
            ELSE measure * 152 + least(151, 1 + floor(20 * log(seconds))::integer) END;

-- The one definition of where a ticket counts: each row is an instant and what the ticket
-- adds to the figures of that instant's day. Raised-day figures: raised, SLA outcomes and
-- escalations, response, dispatch and alert latencies. Resolution-day figures: resolved,
-- first-time fix, reopened, ratings, handling and resolve time. Cancellations and first
-- reopenings on their days. The backlog: +1 where an open span starts, -1 where it ends.
CREATE FUNCTION ticket_measures(t analytics.tickets)
RETURNS TABLE (
    at timestamptz, raised integer, resolved integer, cancelled integer, reopened integer,
    opened integer, opened_created_s bigint,
    sla_respond_n integer, sla_respond_breached integer, sla_respond_escalated integer,
    sla_resolve_n integer, sla_resolve_breached integer, sla_resolve_escalated integer,
    first_time_fixed integer, reopened_resolved integer, rateable integer, rated integer,
    stars_sum integer, stars_high integer,
    response_s double precision, dispatch_s double precision, handling_s double precision,
    resolve_s double precision, alert_to_ticket_s double precision,
    alert_to_assignment_s double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT t.created_at, 1, 0, 0, 0, 0, 0::bigint,
           (t.sla_respond IS NOT NULL)::integer,
           (t.sla_respond IS NOT DISTINCT FROM 'breached')::integer,
           t.respond_escalated::integer,
           (t.sla_resolve IS NOT NULL)::integer,
           (t.sla_resolve IS NOT DISTINCT FROM 'breached')::integer,
           t.resolve_escalated::integer,
           0, 0, 0, 0, 0, 0,
           t.response_s, t.dispatch_s, NULL::double precision, NULL::double precision,
           t.alert_to_ticket_s, t.alert_to_assignment_s
    UNION ALL
    SELECT t.resolved_at, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           coalesce(t.first_time_fix, false)::integer, (t.reopens > 0)::integer,
           (t.source = 'tenant' OR t.stars IS NOT NULL)::integer, (t.stars IS NOT NULL)::integer,
           coalesce(t.stars, 0), (coalesce(t.stars, 0) >= 4)::integer,
           NULL, NULL, t.handling_s, t.resolve_s, NULL, NULL
    WHERE t.resolved_at IS NOT NULL
    UNION ALL
    SELECT t.cancelled_at, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL
    WHERE t.cancelled_at IS NOT NULL
    UNION ALL
    SELECT t.first_reopened_at, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL
    WHERE t.first_reopened_at IS NOT NULL
    UNION ALL
    SELECT b.at, 0, 0, 0, 0, b.delta, b.delta * floor(extract(epoch FROM t.created_at))::bigint,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL
    FROM unnest(t.open_spans) AS s
    CROSS JOIN LATERAL (VALUES (lower(s), 1), (upper(s), -1)) AS b (at, delta)
    WHERE b.at IS NOT NULL
$$;

-- Monthly summaries per site and single dimension ('' is the whole site). The trigger on
-- tickets adds every change; the counts and sums add up across months and values.
CREATE TABLE kpi_cells (
    site                     text NOT NULL,
    dim                      text NOT NULL,
    value                    text NOT NULL,
    month                    date NOT NULL,
    raised                   integer NOT NULL DEFAULT 0,
    resolved                 integer NOT NULL DEFAULT 0,
    cancelled                integer NOT NULL DEFAULT 0,
    reopened                 integer NOT NULL DEFAULT 0,
    opened                   integer NOT NULL DEFAULT 0,
    opened_created_s         bigint NOT NULL DEFAULT 0,
    sla_respond_n            integer NOT NULL DEFAULT 0,
    sla_respond_breached     integer NOT NULL DEFAULT 0,
    sla_respond_escalated    integer NOT NULL DEFAULT 0,
    sla_resolve_n            integer NOT NULL DEFAULT 0,
    sla_resolve_breached     integer NOT NULL DEFAULT 0,
    sla_resolve_escalated    integer NOT NULL DEFAULT 0,
    first_time_fixed         integer NOT NULL DEFAULT 0,
    reopened_resolved        integer NOT NULL DEFAULT 0,
    rateable                 integer NOT NULL DEFAULT 0,
    rated                    integer NOT NULL DEFAULT 0,
    stars_sum                integer NOT NULL DEFAULT 0,
    stars_high               integer NOT NULL DEFAULT 0,
    response_n               integer NOT NULL DEFAULT 0,
    response_sum             double precision NOT NULL DEFAULT 0,
    dispatch_n               integer NOT NULL DEFAULT 0,
    dispatch_sum             double precision NOT NULL DEFAULT 0,
    handling_n               integer NOT NULL DEFAULT 0,
    handling_sum             double precision NOT NULL DEFAULT 0,
    resolve_n                integer NOT NULL DEFAULT 0,
    resolve_sum              double precision NOT NULL DEFAULT 0,
    alert_to_ticket_n        integer NOT NULL DEFAULT 0,
    alert_to_ticket_sum      double precision NOT NULL DEFAULT 0,
    alert_to_assignment_n    integer NOT NULL DEFAULT 0,
    alert_to_assignment_sum  double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (site, dim, value, month)
);

-- Duration histograms of the same cells: how many durations fell in each slot.
CREATE TABLE kpi_hist (
    site   text NOT NULL,
    dim    text NOT NULL,
    value  text NOT NULL,
    month  date NOT NULL,
    slot   integer NOT NULL,
    n      integer NOT NULL,
    PRIMARY KEY (site, dim, value, month, slot)
);

-- Tickets raised per month, building, floor, kind, category and source: the heat map.
CREATE TABLE heat_cells (
    site      text NOT NULL,
    month     date NOT NULL,
    building  text NOT NULL,
    floor     text NOT NULL,
    kind      text NOT NULL,
    category  text NOT NULL,
    source    text NOT NULL,
    raised    integer NOT NULL,
    PRIMARY KEY (site, month, building, floor, kind, category, source)
);

-- A ticket's measures (times `sign`) in the summary cells they fall in, one row per
-- dimension; `slots` are the histogram slots of its durations.
CREATE FUNCTION ticket_cells(t analytics.tickets, sign integer)
RETURNS TABLE (
    site text, month date, dim text, value text, sign integer,
    raised integer, resolved integer, cancelled integer, reopened integer, opened integer,
    opened_created_s bigint, sla_respond_n integer, sla_respond_breached integer,
    sla_respond_escalated integer, sla_resolve_n integer, sla_resolve_breached integer,
    sla_resolve_escalated integer, first_time_fixed integer, reopened_resolved integer,
    rateable integer, rated integer, stars_sum integer, stars_high integer,
    response_n integer, response_sum double precision, dispatch_n integer,
    dispatch_sum double precision, handling_n integer, handling_sum double precision,
    resolve_n integer, resolve_sum double precision, alert_to_ticket_n integer,
    alert_to_ticket_sum double precision, alert_to_assignment_n integer,
    alert_to_assignment_sum double precision, slots integer[]
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.site, analytics.local_month(m.at, z.time_zone), d.dim, d.value, sign,
           sign * m.raised, sign * m.resolved, sign * m.cancelled, sign * m.reopened,
           sign * m.opened, sign * m.opened_created_s, sign * m.sla_respond_n,
           sign * m.sla_respond_breached, sign * m.sla_respond_escalated,
           sign * m.sla_resolve_n, sign * m.sla_resolve_breached, sign * m.sla_resolve_escalated,
           sign * m.first_time_fixed, sign * m.reopened_resolved, sign * m.rateable,
           sign * m.rated, sign * m.stars_sum, sign * m.stars_high,
           sign * (m.response_s IS NOT NULL)::integer, sign * coalesce(m.response_s, 0),
           sign * (m.dispatch_s IS NOT NULL)::integer, sign * coalesce(m.dispatch_s, 0),
           sign * (m.handling_s IS NOT NULL)::integer, sign * coalesce(m.handling_s, 0),
           sign * (m.resolve_s IS NOT NULL)::integer, sign * coalesce(m.resolve_s, 0),
           sign * (m.alert_to_ticket_s IS NOT NULL)::integer,
           sign * coalesce(m.alert_to_ticket_s, 0),
           sign * (m.alert_to_assignment_s IS NOT NULL)::integer,
           sign * coalesce(m.alert_to_assignment_s, 0),
           array_remove(ARRAY[
               analytics.hist_slot(0, m.response_s), analytics.hist_slot(1, m.dispatch_s),
               analytics.hist_slot(2, m.handling_s), analytics.hist_slot(3, m.resolve_s),
               analytics.hist_slot(4, m.alert_to_ticket_s),
               analytics.hist_slot(5, m.alert_to_assignment_s)], NULL)
    FROM analytics.ticket_measures(t) AS m
    JOIN analytics.sites AS z ON z.site = t.site
    CROSS JOIN LATERAL (VALUES ('', ''), ('building', t.building), ('kind', t.kind),
                               ('category', t.category), ('priority', t.priority),
                               ('source', t.source), ('technician', t.technician)) AS d (dim, value)
$$;

-- The tickets a statement changed, as they were (sign -1) and as they are (sign 1).
CREATE FUNCTION signed(removed analytics.tickets[], added analytics.tickets[])
RETURNS TABLE (t analytics.tickets, sign integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT r, -1 FROM unnest(removed) AS r UNION ALL SELECT a, 1 FROM unnest(added) AS a
$$;

-- Moves the summaries by what `removed` tickets counted (taken away) and what `added`
-- ones count (added): the old and new versions of the rows a statement changed.
CREATE FUNCTION count_changes(removed analytics.tickets[], added analytics.tickets[])
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO analytics.kpi_cells AS k (
        site, dim, value, month, raised, resolved, cancelled, reopened, opened,
        opened_created_s, sla_respond_n, sla_respond_breached, sla_respond_escalated,
        sla_resolve_n, sla_resolve_breached, sla_resolve_escalated, first_time_fixed,
        reopened_resolved, rateable, rated, stars_sum, stars_high, response_n,
        response_sum, dispatch_n, dispatch_sum, handling_n, handling_sum, resolve_n,
        resolve_sum, alert_to_ticket_n, alert_to_ticket_sum, alert_to_assignment_n,
        alert_to_assignment_sum)
    SELECT c.site, c.dim, c.value, c.month, sum(c.raised), sum(c.resolved),
           sum(c.cancelled), sum(c.reopened), sum(c.opened), sum(c.opened_created_s),
           sum(c.sla_respond_n), sum(c.sla_respond_breached), sum(c.sla_respond_escalated),
           sum(c.sla_resolve_n), sum(c.sla_resolve_breached), sum(c.sla_resolve_escalated),
           sum(c.first_time_fixed), sum(c.reopened_resolved), sum(c.rateable),
           sum(c.rated), sum(c.stars_sum), sum(c.stars_high), sum(c.response_n),
           sum(c.response_sum), sum(c.dispatch_n), sum(c.dispatch_sum), sum(c.handling_n),
           sum(c.handling_sum), sum(c.resolve_n), sum(c.resolve_sum),
           sum(c.alert_to_ticket_n), sum(c.alert_to_ticket_sum),
           sum(c.alert_to_assignment_n), sum(c.alert_to_assignment_sum)
    FROM analytics.signed(removed, added) AS x
    CROSS JOIN LATERAL analytics.ticket_cells(x.t, x.sign) AS c
    GROUP BY c.site, c.dim, c.value, c.month
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
        alert_to_assignment_sum = k.alert_to_assignment_sum + EXCLUDED.alert_to_assignment_sum;
    INSERT INTO analytics.kpi_hist AS h (site, dim, value, month, slot, n)
    SELECT c.site, c.dim, c.value, c.month, s.slot, sum(c.sign)
    FROM analytics.signed(removed, added) AS x
    CROSS JOIN LATERAL analytics.ticket_cells(x.t, x.sign) AS c
    CROSS JOIN LATERAL unnest(c.slots) AS s (slot)
    GROUP BY c.site, c.dim, c.value, c.month, s.slot
    HAVING sum(c.sign) <> 0
    ON CONFLICT (site, dim, value, month, slot) DO UPDATE SET n = h.n + EXCLUDED.n;
    INSERT INTO analytics.heat_cells AS h (site, month, building, floor, kind, category, source,
                                           raised)
    SELECT (x.t).site, analytics.local_month(m.at, z.time_zone), (x.t).building,
           (x.t).floor, (x.t).kind, (x.t).category, (x.t).source, sum(x.sign * m.raised)
    FROM analytics.signed(removed, added) AS x
    CROSS JOIN LATERAL analytics.ticket_measures(x.t) AS m
    JOIN analytics.sites AS z ON z.site = (x.t).site
    WHERE m.raised <> 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(x.sign * m.raised) <> 0
    ON CONFLICT (site, month, building, floor, kind, category, source)
    DO UPDATE SET raised = h.raised + EXCLUDED.raised;
END
$fn$;

-- Keeps the summaries in step with the tickets, in the statement that changed them: one
-- call per statement, whatever the number of rows (a COPY of many tickets included).
CREATE FUNCTION tickets_inserted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM analytics.count_changes('{}', ARRAY(SELECT ROW(n.*)::analytics.tickets FROM new_rows AS n));
    RETURN NULL;
END
$fn$;

CREATE FUNCTION tickets_updated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM analytics.count_changes(ARRAY(SELECT ROW(o.*)::analytics.tickets FROM old_rows AS o),
                                    ARRAY(SELECT ROW(n.*)::analytics.tickets FROM new_rows AS n));
    RETURN NULL;
END
$fn$;

CREATE TRIGGER tickets_inserted AFTER INSERT ON tickets
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tickets_inserted();
CREATE TRIGGER tickets_updated AFTER UPDATE ON tickets
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION tickets_updated();

-- Recount a site's summaries from its tickets (after its time zone changed): its summary
-- rows go, and its tickets are taken out and put back, which the trigger counts afresh.
CREATE FUNCTION rebuild_site(which text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    moved bigint;
BEGIN
    DELETE FROM analytics.kpi_cells WHERE site = which;
    DELETE FROM analytics.kpi_hist WHERE site = which;
    DELETE FROM analytics.heat_cells WHERE site = which;
    WITH gone AS (DELETE FROM analytics.tickets WHERE site = which RETURNING *)
    INSERT INTO analytics.tickets SELECT * FROM gone;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$fn$;
