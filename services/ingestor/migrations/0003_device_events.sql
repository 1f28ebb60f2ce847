-- Alarms and error codes that other systems recorded for devices and assets, imported as
-- history for the models (the history importer's `events` kind). Nothing follows this
-- table: an imported event opens, times and notifies nothing.
CREATE TABLE device_events (
    time         timestamptz NOT NULL,
    -- What it happened to: a device, an asset (an intake asset id), or both; '' when not.
    device_id    text NOT NULL DEFAULT '',
    asset_id     text NOT NULL DEFAULT '',
    code         text NOT NULL,
    severity     text NOT NULL DEFAULT '',
    message      text NOT NULL DEFAULT '',
    -- The device's site (or, for an asset alone, the asset's) when it was imported.
    site         text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (device_id <> '' OR asset_id <> ''),
    -- An event is known by what it happened to, when, and its code: importing it again
    -- changes nothing, and a corrected severity or message replaces the stored one.
    PRIMARY KEY (device_id, asset_id, time, code)
);

-- Reading a device's or an asset's history over a time range.
CREATE INDEX device_events_device_idx ON device_events (device_id, time) WHERE device_id <> '';
CREATE INDEX device_events_asset_idx ON device_events (asset_id, time) WHERE asset_id <> '';
