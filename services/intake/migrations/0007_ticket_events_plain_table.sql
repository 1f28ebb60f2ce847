-- The ticket event log is a plain table on every install (docs/design.md, "TimescaleDB").
-- 0001 made it a hypertable when TimescaleDB was present; there, the first event into a
-- new chunk locked the hypertable until its transaction ended, so every other ticket
-- change waited behind it. The log is small next to telemetry and read in commit order,
-- not by time range: nothing a hypertable offers pays for that.
--
-- Where it is a hypertable it is rebuilt as the table 0001 makes on plain PostgreSQL:
-- every row with its id and tx_id (the readers' cursors stay valid), the identity going
-- on from where it was, the same indexes, the append-only triggers and the BRIN index.
-- Writers wait for the lock below while it runs. On plain PostgreSQL nothing changes.

DO $$
DECLARE
    old_seq regclass;
    new_seq regclass;
    seq_last bigint;
    seq_called boolean;
    moved bigint;
    expected bigint;
BEGIN
    IF NOT public.maintenance_has_timescaledb() THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = 'intake' AND hypertable_name = 'ticket_events') THEN
        RETURN;
    END IF;

    LOCK TABLE intake.ticket_events IN ACCESS EXCLUSIVE MODE;
    old_seq := pg_get_serial_sequence('intake.ticket_events', 'id')::regclass;
    EXECUTE format('SELECT last_value, is_called FROM %s', old_seq) INTO seq_last, seq_called;
    SELECT count(*) INTO expected FROM intake.ticket_events;

    ALTER TABLE intake.ticket_events RENAME TO ticket_events_hypertable;
    CREATE TABLE intake.ticket_events (
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
        occurred_at  timestamptz NOT NULL
    );
    INSERT INTO intake.ticket_events OVERRIDING SYSTEM VALUE
    SELECT id, tx_id, ticket_id, type, from_status, to_status, actor, actor_role, channel,
           note, payload, occurred_at
    FROM intake.ticket_events_hypertable ORDER BY tx_id, id;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> expected THEN
        RAISE EXCEPTION 'ticket_events: moved % rows of %', moved, expected;
    END IF;
    -- Dropping the hypertable drops its chunks, indexes, triggers and identity sequence
    -- (and fails, rolling all of this back, should anything else depend on it).
    DROP TABLE intake.ticket_events_hypertable;

    new_seq := pg_get_serial_sequence('intake.ticket_events', 'id')::regclass;
    EXECUTE format('ALTER SEQUENCE %s RENAME TO ticket_events_id_seq', new_seq);
    PERFORM setval('intake.ticket_events_id_seq', seq_last, seq_called);

    ALTER TABLE intake.ticket_events ADD PRIMARY KEY (id, occurred_at);
    CREATE INDEX ticket_events_log_idx ON intake.ticket_events (tx_id, id);
    CREATE INDEX ticket_events_ticket_idx ON intake.ticket_events (ticket_id, id);
    CREATE INDEX ticket_events_time_brin ON intake.ticket_events USING brin (occurred_at);
    CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON intake.ticket_events
        FOR EACH ROW EXECUTE FUNCTION intake.ticket_events_append_only();
    CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON intake.ticket_events
        FOR EACH STATEMENT EXECUTE FUNCTION intake.ticket_events_append_only();
    ANALYZE intake.ticket_events;
    RAISE NOTICE 'intake.ticket_events is a plain table now (% rows kept)', moved;
END $$;
