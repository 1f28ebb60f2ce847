-- Places as data: names in Chinese and English at every level, and a floor's order among
-- its building's floors (B2, B1, G, 1, 2 ... sort as people expect).
ALTER TABLE sites ADD COLUMN name_en text NOT NULL DEFAULT '';
ALTER TABLE buildings ADD COLUMN name_en text NOT NULL DEFAULT '';
ALTER TABLE floors
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN name_en text NOT NULL DEFAULT '',
    ADD COLUMN sort_order integer NOT NULL DEFAULT 0;
ALTER TABLE units
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN name_en text NOT NULL DEFAULT '';

UPDATE floors SET sort_order = CASE
    WHEN code ~ '^[0-9]{1,3}$' THEN code::integer
    WHEN code ~* '^B[0-9]{1,3}$' THEN -substr(code, 2)::integer
    ELSE 2000 END;

-- Who uses a place, found fast when it is to be deleted.
CREATE INDEX IF NOT EXISTS assets_place_idx ON assets (site, building, floor);
CREATE INDEX IF NOT EXISTS users_site_idx ON users (site, unit);
