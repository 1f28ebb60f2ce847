-- Schema ingestor: the device registry, telemetry, sensor alerts, the ticket outbox and
-- dead letters. Runs with search_path = ingestor, public.

CREATE TABLE devices (
    device_id            text PRIMARY KEY,
    kind                 text NOT NULL,
    site                 text NOT NULL,
    building             text NOT NULL,
    floor                text NOT NULL,
    unit                 text NOT NULL DEFAULT '',
    asset                text NOT NULL DEFAULT '',
    format               text NOT NULL,
    source_topic         text NOT NULL DEFAULT '',
    expected_interval_s  integer NOT NULL DEFAULT 300 CHECK (expected_interval_s > 0),
    thresholds           jsonb NOT NULL DEFAULT '{}',
    last_seen_at         timestamptz,
    last_values          jsonb NOT NULL DEFAULT '{}',
    online               boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Devices whose format names them by their own topic are found by it.
CREATE UNIQUE INDEX devices_source_idx ON devices (format, source_topic) WHERE source_topic <> '';
CREATE INDEX devices_place_idx ON devices (site, building, floor);
CREATE INDEX devices_silence_idx ON devices (last_seen_at) WHERE online;

-- One row per metric reading. A redelivered message carries the same time, device and
-- metric, so the unique key (which includes the time, as hypertables require) drops it.
CREATE TABLE telemetry (
    time       timestamptz NOT NULL,
    device_id  text NOT NULL,
    metric     text NOT NULL,
    value      double precision NOT NULL,
    UNIQUE (device_id, metric, time)
);

DO $$
BEGIN
    IF public.maintenance_has_timescaledb() THEN
        PERFORM create_hypertable('ingestor.telemetry', 'time',
                                  chunk_time_interval => interval '1 day');
        ALTER TABLE ingestor.telemetry SET (timescaledb.compress,
            timescaledb.compress_segmentby = 'device_id, metric');
        PERFORM add_compression_policy('ingestor.telemetry', interval '7 days');
        PERFORM add_retention_policy('ingestor.telemetry', interval '730 days');
    ELSE
        CREATE INDEX telemetry_time_brin ON ingestor.telemetry USING brin (time);
    END IF;
END $$;

-- Every alert signal received or derived, raised or cleared.
CREATE TABLE alert_signals (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time         timestamptz NOT NULL,
    device_id    text NOT NULL,
    alert_type   text NOT NULL,
    active       boolean NOT NULL,
    readings     jsonb NOT NULL DEFAULT '{}',
    detail       text NOT NULL DEFAULT '',
    incident_id  uuid,
    UNIQUE (device_id, alert_type, time, active)
);

CREATE INDEX alert_signals_time_idx ON alert_signals (time);

-- An incident is one problem at one place: one ticket. It is keyed by the alert type and
-- either a device or, when several devices alert together, their floor (the roll-up).
-- At most one incident per key is open; its ticket gets the repeats and clears.
CREATE TABLE incidents (
    id              uuid PRIMARY KEY,
    rollup_key      text NOT NULL,
    alert_type      text NOT NULL,
    site            text NOT NULL,
    building        text NOT NULL,
    floor           text NOT NULL,
    devices         text[] NOT NULL,
    priority        text NOT NULL,
    opened_at       timestamptz NOT NULL,
    last_signal_at  timestamptz NOT NULL,
    -- When the ticket was last told about a repeat (repeats are told at most every few minutes).
    last_note_at    timestamptz NOT NULL,
    occurrences     integer NOT NULL DEFAULT 1,
    cleared_at      timestamptz,
    closed_at       timestamptz,
    ticket_id       uuid,
    readings        jsonb NOT NULL DEFAULT '{}'
);

CREATE UNIQUE INDEX incidents_open_idx ON incidents (rollup_key) WHERE closed_at IS NULL;
CREATE INDEX incidents_ticket_idx ON incidents (ticket_id);
CREATE INDEX incidents_floor_idx ON incidents (site, building, floor, alert_type, opened_at)
    WHERE closed_at IS NULL;

-- What must be told to intake, written in the same transaction as the signal that caused
-- it and delivered by a worker; each row is delivered once (CreateTicket is idempotent by
-- the row's key, activity rows are marked done in the same transaction they are sent).
CREATE TABLE ticket_outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id   uuid NOT NULL REFERENCES incidents (id),
    action        text NOT NULL CHECK (action IN ('open', 'activity')),
    activity      text NOT NULL DEFAULT '',
    payload       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    due_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    done_at       timestamptz
);

CREATE INDEX ticket_outbox_due_idx ON ticket_outbox (due_at, id) WHERE done_at IS NULL;

-- Messages that could not be used, with why; the payload is kept truncated.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    topic        text NOT NULL,
    reason       text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    payload      bytea NOT NULL,
    size_bytes   integer NOT NULL
);

CREATE INDEX dead_letters_time_idx ON dead_letters (received_at);

-- Where this service is in intake's ticket event log.
CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
