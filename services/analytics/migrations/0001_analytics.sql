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
-- measure (6 of them); [0, 1 s), then twenty to a decade from 1 s to 10^7.5 s, then the rest.
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
-- It takes the ticket's columns one by one (`MEASURED` in reports_repo.py names them):
-- a whole row would be taken apart again for every field read.
CREATE FUNCTION ticket_measures(
    created_at timestamptz, resolved_at timestamptz, cancelled_at timestamptz,
    first_reopened_at timestamptz, open_spans tstzmultirange, sla_respond text,
    sla_resolve text, respond_escalated boolean, resolve_escalated boolean,
    first_time_fix boolean, reopens integer, source text, stars smallint,
    response_s double precision, dispatch_s double precision, handling_s double precision,
    resolve_s double precision, alert_to_ticket_s double precision,
    alert_to_assignment_s double precision
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
    alert_to_assignment_s double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1, 1, 0, 0, 0, 0, 0::bigint,
           ($6 IS NOT NULL)::integer, ($6 IS NOT DISTINCT FROM 'breached')::integer, $8::integer,
           ($7 IS NOT NULL)::integer, ($7 IS NOT DISTINCT FROM 'breached')::integer, $9::integer,
           0, 0, 0, 0, 0, 0,
           $14, $15, NULL::double precision, NULL::double precision, $18, $19
    UNION ALL
    SELECT $2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           coalesce($10, false)::integer, ($11 > 0)::integer,
           ($12 = 'tenant' OR $13 IS NOT NULL)::integer, ($13 IS NOT NULL)::integer,
           coalesce($13, 0), (coalesce($13, 0) >= 4)::integer,
           NULL, NULL, $16, $17, NULL, NULL
    WHERE $2 IS NOT NULL
    UNION ALL
    SELECT $3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL
    WHERE $3 IS NOT NULL
    UNION ALL
    SELECT $4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL
    WHERE $4 IS NOT NULL
    UNION ALL
    SELECT b.at, 0, 0, 0, 0, b.delta, b.delta * floor(extract(epoch FROM $1))::bigint,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL
    FROM unnest($5) AS s
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
    -- How many durations fell in each histogram slot (hist_slot + 1), or NULL for none.
    hist                     integer[],
    PRIMARY KEY (site, dim, value, month)
);

-- Histograms as arrays of 6 x 152 counts: `hist_from` makes one from its non-zero slots and
-- their counts, `hist_add` adds two.
CREATE FUNCTION hist_from(slots integer[], counts integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    hist integer[] := array_fill(0, ARRAY[912]);
BEGIN
    FOR i IN 1 .. cardinality(slots) LOOP
        hist[slots[i] + 1] := counts[i];
    END LOOP;
    RETURN hist;
END
$fn$;

CREATE FUNCTION hist_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
            ELSE (SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS u (x, y, i))
       END;

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

-- The statement that moves the summaries by what the rows of `changed` count, times their
-- `sign` (-1 for the old version of a changed row, 1 for the new one): every measure row of
-- theirs goes into the cell of its site, month and each dimension ('' is the whole site),
-- its durations into that cell's histogram, and, for raising, into the heat map; the
-- measure rows are computed once.
CREATE FUNCTION count_changes(changed text) RETURNS text
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

-- Keep the summaries in step with the tickets, in the statement that changed them: one
-- call per statement, whatever the number of rows (a COPY of many tickets included). The
-- planner cannot know how few measure rows a ticket has (it guesses hundreds) and would
-- sort millions of rows on disk to group a large COPY's changes; grouping by hashing, in
-- memory, is what fits.
CREATE FUNCTION tickets_inserted() RETURNS trigger
LANGUAGE plpgsql
SET enable_sort = off
SET work_mem = '64MB'
AS $fn$
BEGIN
    EXECUTE analytics.count_changes('SELECT 1 AS sign, n.* FROM new_rows AS n');
    RETURN NULL;
END
$fn$;

CREATE FUNCTION tickets_updated() RETURNS trigger
LANGUAGE plpgsql
SET enable_sort = off
SET work_mem = '64MB'
AS $fn$
BEGIN
    EXECUTE analytics.count_changes('SELECT -1 AS sign, o.* FROM old_rows AS o'
                                    ' UNION ALL SELECT 1 AS sign, n.* FROM new_rows AS n');
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
    DELETE FROM analytics.heat_cells WHERE site = which;
    WITH gone AS (DELETE FROM analytics.tickets WHERE site = which RETURNING *)
    INSERT INTO analytics.tickets SELECT * FROM gone;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$fn$;
