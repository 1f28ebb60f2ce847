-- Schema intake: the location tree, users, tickets and the append-only ticket event log.
-- Runs with search_path = intake, public.

CREATE TABLE sites (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL DEFAULT 'Asia/Shanghai'
);

CREATE TABLE buildings (
    site        text NOT NULL REFERENCES sites (code),
    code        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    PRIMARY KEY (site, code)
);

CREATE TABLE floors (
    site        text NOT NULL,
    building    text NOT NULL,
    code        text NOT NULL,
    PRIMARY KEY (site, building, code),
    FOREIGN KEY (site, building) REFERENCES buildings (site, code)
);

CREATE TABLE units (
    site        text NOT NULL,
    building    text NOT NULL,
    floor       text NOT NULL,
    code        text NOT NULL,
    PRIMARY KEY (site, code),
    UNIQUE (site, building, floor, code),
    FOREIGN KEY (site, building, floor) REFERENCES floors (site, building, code)
);

CREATE TABLE assets (
    site        text NOT NULL,
    building    text NOT NULL,
    floor       text NOT NULL,
    code        text NOT NULL,
    kind        text NOT NULL DEFAULT '',
    name        text NOT NULL DEFAULT '',
    PRIMARY KEY (site, code),
    FOREIGN KEY (site, building, floor) REFERENCES floors (site, building, code)
);

CREATE TABLE users (
    username       text PRIMARY KEY,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN
                   ('tenant', 'technician', 'dispatcher', 'supervisor', 'planner', 'admin')),
    display_name   text NOT NULL DEFAULT '',
    locale         text NOT NULL DEFAULT 'zh-CN',
    site           text REFERENCES sites (code),
    unit           text NOT NULL DEFAULT '',
    email          text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Ticket numbers are T<yyyymmdd>-<7 digits of this sequence>: unique and sortable by time.
CREATE SEQUENCE ticket_number_seq;

CREATE TABLE tickets (
    id                 uuid PRIMARY KEY,
    number             text NOT NULL UNIQUE,
    kind               text NOT NULL,
    category           text NOT NULL,
    status             text NOT NULL,
    priority           text NOT NULL,
    title              text NOT NULL,
    description        text NOT NULL,
    site               text NOT NULL,
    building           text NOT NULL,
    floor              text NOT NULL,
    unit               text,
    asset              text,
    requester          text NOT NULL,
    requester_role     text NOT NULL,
    assignee           text,
    channel            text NOT NULL,
    source             text NOT NULL,
    device_id          text NOT NULL DEFAULT '',
    contact            text NOT NULL DEFAULT '',
    attributes         jsonb NOT NULL DEFAULT '{}',
    rating_stars       smallint CHECK (rating_stars BETWEEN 1 AND 5),
    rating_comment     text,
    rated_at           timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    status_changed_at  timestamptz NOT NULL,
    -- The location must be in the site tree; the service turns violations into clear errors.
    CONSTRAINT tickets_floor_fk FOREIGN KEY (site, building, floor)
        REFERENCES floors (site, building, code),
    CONSTRAINT tickets_unit_fk FOREIGN KEY (site, building, floor, unit)
        REFERENCES units (site, building, floor, code),
    CONSTRAINT tickets_asset_fk FOREIGN KEY (site, asset) REFERENCES assets (site, code)
);

CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_requester_idx ON tickets (requester, created_at DESC);
CREATE INDEX tickets_assignee_idx ON tickets (assignee, created_at DESC) WHERE assignee IS NOT NULL;
CREATE INDEX tickets_place_idx ON tickets (site, building, floor);
CREATE INDEX tickets_status_idx ON tickets (status, status_changed_at);
CREATE INDEX tickets_device_idx ON tickets (device_id) WHERE device_id <> '';

-- The ticket event log. Readers order it by (tx_id, id) and only read transactions older
-- than the oldest one still in flight, so an event that commits late is never skipped.
CREATE TABLE ticket_events (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ticket_id    uuid NOT NULL,
    type         text NOT NULL,
    from_status  text,
    to_status    text,
    actor        text NOT NULL,
    actor_role   text NOT NULL,
    channel      text NOT NULL,
    note         text NOT NULL DEFAULT '',
    payload      jsonb NOT NULL DEFAULT '{}',
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (id, occurred_at)
);

CREATE INDEX ticket_events_log_idx ON ticket_events (tx_id, id);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'intake.ticket_events is append-only';
END $$;

CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only();

DO $$
BEGIN
    IF public.maintenance_has_timescaledb() THEN
        PERFORM create_hypertable('intake.ticket_events', 'occurred_at',
                                  chunk_time_interval => interval '30 days');
    ELSE
        CREATE INDEX ticket_events_time_brin ON intake.ticket_events USING brin (occurred_at);
    END IF;
END $$;

CREATE TABLE idempotency_keys (
    username       text NOT NULL,
    key            text NOT NULL,
    request_hash   text NOT NULL,
    ticket_id      uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (username, key)
);

-- Attachment bytes live in the database beside their ticket: one backup, one transaction.
CREATE TABLE attachment_blobs (
    sha256   text PRIMARY KEY,
    content  bytea NOT NULL
);

CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    ticket_id     uuid NOT NULL REFERENCES tickets (id),
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL,
    sha256        text NOT NULL REFERENCES attachment_blobs (sha256),
    uploaded_by   text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE INDEX attachments_ticket_idx ON attachments (ticket_id, created_at);
