-- The asset registry: equipment with its type, make and model, serial, installation date,
-- criticality and named components, at a building (and floor, unit) of a site. Asset ids
-- are unique across sites (`/v1/assets/{asset_id}`).
ALTER TABLE assets RENAME COLUMN kind TO type;
ALTER TABLE assets
    ALTER COLUMN floor DROP NOT NULL,
    ADD COLUMN unit text,
    ADD COLUMN make text NOT NULL DEFAULT '',
    ADD COLUMN model text NOT NULL DEFAULT '',
    ADD COLUMN serial text NOT NULL DEFAULT '',
    ADD COLUMN installed_on date,
    ADD COLUMN criticality smallint NOT NULL DEFAULT 3 CHECK (criticality BETWEEN 1 AND 5),
    ADD COLUMN components text[] NOT NULL DEFAULT '{}',
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT assets_code_key UNIQUE (code),
    ADD CONSTRAINT assets_building_fk FOREIGN KEY (site, building) REFERENCES buildings (site, code),
    ADD CONSTRAINT assets_unit_fk FOREIGN KEY (site, building, floor, unit)
        REFERENCES units (site, building, floor, code);

-- The component of its asset a ticket is about (a pump's seal, an elevator's door operator).
ALTER TABLE tickets ADD COLUMN component text NOT NULL DEFAULT '';
CREATE INDEX tickets_asset_idx ON tickets (site, asset, created_at DESC) WHERE asset IS NOT NULL;
