-- Schema predictor: the read model the hotspot models learn from (kept from intake's event
-- log and registries and the ingestor's device registry), the model registry, and every
-- prediction run with its ranked keys. Runs with search_path = predictor, public.

CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    site       text PRIMARY KEY,
    timezone   text NOT NULL,
    name       text NOT NULL DEFAULT '',
    name_en    text NOT NULL DEFAULT '',
    synced_at  timestamptz NOT NULL DEFAULT now()
);

-- Floors (unit '') and units of each site.
CREATE TABLE places (
    site         text NOT NULL,
    building     text NOT NULL,
    floor        text NOT NULL,
    unit         text NOT NULL DEFAULT '',
    name         text NOT NULL DEFAULT '',
    name_en      text NOT NULL DEFAULT '',
    floor_order  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site, building, floor, unit)
);

CREATE TABLE assets (
    asset_id      text PRIMARY KEY,
    site          text NOT NULL,
    type          text NOT NULL DEFAULT '',
    name          text NOT NULL DEFAULT '',
    model         text NOT NULL DEFAULT '',
    building      text NOT NULL DEFAULT '',
    floor         text NOT NULL DEFAULT '',
    unit          text NOT NULL DEFAULT '',
    installed_on  date,
    criticality   integer NOT NULL DEFAULT 0,
    components    text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX assets_site_idx ON assets (site);

CREATE TABLE devices (
    device_id   text PRIMARY KEY,
    site        text NOT NULL,
    kind        text NOT NULL DEFAULT '',
    building    text NOT NULL DEFAULT '',
    floor       text NOT NULL DEFAULT '',
    unit        text NOT NULL DEFAULT '',
    asset       text NOT NULL DEFAULT '',
    thresholds  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX devices_site_idx ON devices (site);

-- One row per ticket, imported history included: what it was about and when.
CREATE TABLE tickets (
    ticket_id    text PRIMARY KEY,
    site         text NOT NULL DEFAULT '',
    building     text NOT NULL DEFAULT '',
    floor        text NOT NULL DEFAULT '',
    unit         text NOT NULL DEFAULT '',
    asset        text NOT NULL DEFAULT '',
    component    text NOT NULL DEFAULT '',
    kind         text NOT NULL DEFAULT '',
    category     text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    device_id    text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    resolved_at  timestamptz,
    imported     boolean NOT NULL DEFAULT false
);
CREATE INDEX tickets_site_created_idx ON tickets (site, created_at);

-- The model registry: one row per trained model, its artifact and what it was trained on.
CREATE TABLE models (
    version       text PRIMARY KEY,
    site          text NOT NULL,
    level         text NOT NULL CHECK (level IN ('asset', 'floor', 'building')),
    horizon_days  integer NOT NULL CHECK (horizon_days BETWEEN 1 AND 90),
    trained_at    timestamptz NOT NULL,
    train_from    date NOT NULL,
    train_to      date NOT NULL,
    features      jsonb NOT NULL,
    params        jsonb NOT NULL,
    metrics       jsonb NOT NULL,
    artifact      bytea NOT NULL,
    sha256        text NOT NULL
);
CREATE INDEX models_latest_idx ON models (site, level, horizon_days, trained_at DESC);

-- Every ranking made, live (the service, daily) or in a backtest (`python -m ml backtest`).
CREATE TABLE prediction_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site           text NOT NULL,
    level          text NOT NULL,
    horizon_days   integer NOT NULL,
    as_of          date NOT NULL,
    model_version  text NOT NULL DEFAULT '',
    kind           text NOT NULL CHECK (kind IN ('live', 'backtest')),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prediction_runs_latest_idx ON prediction_runs (site, level, horizon_days, kind, as_of DESC, id DESC);

CREATE TABLE predictions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       bigint NOT NULL REFERENCES prediction_runs (id) ON DELETE CASCADE,
    key          text NOT NULL,
    rank         integer NOT NULL,
    probability  double precision NOT NULL,
    location     jsonb NOT NULL DEFAULT '{}',
    reasons      jsonb NOT NULL DEFAULT '[]',
    action       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX predictions_run_rank_idx ON predictions (run_id, rank);

-- Maintenance tickets raised from a hotspot (`POST /v1/hotspots/{id}/work-order`).
CREATE TABLE work_orders (
    prediction_id  bigint PRIMARY KEY REFERENCES predictions (id),
    ticket_id      text NOT NULL,
    number         text NOT NULL DEFAULT '',
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
