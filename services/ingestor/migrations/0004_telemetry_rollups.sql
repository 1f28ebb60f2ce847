-- Telemetry roll-ups, the ingestor's public read interface (docs/design.md, "Telemetry"):
-- `telemetry_hourly_v1` and `telemetry_daily_v1`, one row per device, metric and bucket,
-- with the same columns on every install. Readers (analytics, the predictor) use these
-- views and nothing else of this schema.
--
-- With TimescaleDB they read continuous aggregates (kept current by refresh policies, the
-- newest data aggregated at read time), telemetry gets week-long chunks, and a job makes
-- the next chunks ahead of time so that no writer ever waits behind another writer's chunk
-- creation. On plain PostgreSQL they are ordinary views that aggregate at read time.

DO $$
BEGIN
    IF NOT public.maintenance_has_timescaledb() THEN
        CREATE VIEW ingestor.telemetry_hourly_v1 AS
        SELECT date_bin(interval '1 hour', time, timestamptz '2000-01-01 00:00:00+00') AS bucket,
               device_id, metric, count(*) AS samples, avg(value) AS avg, min(value) AS min,
               max(value) AS max, stddev_samp(value) AS stddev,
               (array_agg(value ORDER BY time))[1] AS first,
               (array_agg(value ORDER BY time DESC))[1] AS last
        FROM ingestor.telemetry GROUP BY 1, 2, 3;

        CREATE VIEW ingestor.telemetry_daily_v1 AS
        SELECT date_bin(interval '1 day', time, timestamptz '2000-01-01 00:00:00+00') AS bucket,
               device_id, metric, count(*) AS samples, avg(value) AS avg, min(value) AS min,
               max(value) AS max, stddev_samp(value) AS stddev,
               (array_agg(value ORDER BY time))[1] AS first,
               (array_agg(value ORDER BY time DESC))[1] AS last
        FROM ingestor.telemetry GROUP BY 1, 2, 3;
        RETURN;
    END IF;

    -- A week a chunk: with the default fleet (a reading every 15 minutes) a compressed
    -- segment (one device and metric in one chunk) holds 672 rows instead of 96, and two
    -- years are about 105 chunks instead of 730. Chunks already made keep their size.
    PERFORM set_chunk_time_interval('ingestor.telemetry', interval '7 days');

    -- The first row into a time range that has no chunk yet creates the chunk, and holds a
    -- lock on the hypertable that every other chunk creation waits for until that
    -- transaction ends. Making the chunks for the coming two weeks ahead of time (a job,
    -- hourly, each run a short transaction of its own) keeps chunk creation off the
    -- ingest path. A chunk is made
    -- by inserting a row into its range and deleting it again (the public way to make one).
    EXECUTE $proc$
    CREATE PROCEDURE ingestor.prepare_telemetry_chunks(job_id integer, config jsonb)
    LANGUAGE plpgsql AS $body$
    DECLARE
        ahead interval := coalesce((config ->> 'ahead')::interval, interval '14 days');
        step interval;
        at timestamptz;
    BEGIN
        SELECT time_interval INTO STRICT step FROM timescaledb_information.dimensions
        WHERE hypertable_schema = 'ingestor' AND hypertable_name = 'telemetry'
          AND dimension_type = 'Time';
        FOR at IN SELECT generate_series(now(), now() + ahead, step)
                  UNION SELECT now() + ahead LOOP
            IF NOT EXISTS (SELECT 1 FROM timescaledb_information.chunks
                           WHERE hypertable_schema = 'ingestor' AND hypertable_name = 'telemetry'
                             AND range_start <= at AND range_end > at) THEN
                INSERT INTO ingestor.telemetry (time, device_id, metric, value)
                VALUES (at, '', '', 0);
                DELETE FROM ingestor.telemetry WHERE time = at AND device_id = '' AND metric = '';
            END IF;
        END LOOP;
    END $body$
    $proc$;
    CALL ingestor.prepare_telemetry_chunks(NULL, NULL);
    PERFORM add_job('ingestor.prepare_telemetry_chunks', interval '1 hour',
                    config => '{"ahead": "14 days"}');

    -- Continuous aggregates: materialised by the refresh policies below, and the buckets
    -- newer than the last refresh aggregated from telemetry at read time
    -- (materialized_only = false), so a reader always sees everything stored. Each refresh
    -- recomputes the buckets of the last 720 days whose raw rows changed since the last
    -- one: late readings and imported history reach them at the next run. It stays clear
    -- of what the retention policy (730 days, 0001) drops, so the roll-ups keep those
    -- buckets after the raw rows are gone (a refresh over a dropped range would empty it).
    EXECUTE $cagg$
    CREATE MATERIALIZED VIEW ingestor.telemetry_hourly
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(interval '1 hour', time) AS bucket, device_id, metric,
           count(*) AS samples, avg(value) AS avg, min(value) AS min, max(value) AS max,
           stddev_samp(value) AS stddev, first(value, time) AS first, last(value, time) AS last
    FROM ingestor.telemetry GROUP BY 1, 2, 3 WITH NO DATA
    $cagg$;
    EXECUTE $cagg$
    CREATE MATERIALIZED VIEW ingestor.telemetry_daily
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(interval '1 day', time) AS bucket, device_id, metric,
           count(*) AS samples, avg(value) AS avg, min(value) AS min, max(value) AS max,
           stddev_samp(value) AS stddev, first(value, time) AS first, last(value, time) AS last
    FROM ingestor.telemetry GROUP BY 1, 2, 3 WITH NO DATA
    $cagg$;
    PERFORM add_continuous_aggregate_policy('ingestor.telemetry_hourly',
        start_offset => interval '720 days', end_offset => interval '1 hour',
        schedule_interval => interval '30 minutes');
    PERFORM add_continuous_aggregate_policy('ingestor.telemetry_daily',
        start_offset => interval '720 days', end_offset => interval '1 hour',
        schedule_interval => interval '1 hour');

    -- The published names: plain views over the aggregates, so that these can be rebuilt
    -- (or a v2 added beside) without readers noticing.
    CREATE VIEW ingestor.telemetry_hourly_v1 AS
    SELECT bucket, device_id, metric, samples, avg, min, max, stddev, first, last
    FROM ingestor.telemetry_hourly;
    CREATE VIEW ingestor.telemetry_daily_v1 AS
    SELECT bucket, device_id, metric, samples, avg, min, max, stddev, first, last
    FROM ingestor.telemetry_daily;
END $$;

COMMENT ON VIEW telemetry_hourly_v1 IS
    'Public, versioned: telemetry per device, metric and UTC hour (docs/design.md)';
COMMENT ON VIEW telemetry_daily_v1 IS
    'Public, versioned: telemetry per device, metric and UTC day (docs/design.md)';
