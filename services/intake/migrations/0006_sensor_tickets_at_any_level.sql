-- A sensor's alert becomes a ticket even when its device's floor or building was removed
-- since: at the nearest level that still exists (then the ticket has no floor, or no
-- building). Whatever a ticket names must still be in the tree.
ALTER TABLE tickets
    ALTER COLUMN building DROP NOT NULL,
    ALTER COLUMN floor DROP NOT NULL,
    ADD CONSTRAINT tickets_building_fk FOREIGN KEY (site, building) REFERENCES buildings (site, code),
    ADD CONSTRAINT tickets_site_fk FOREIGN KEY (site) REFERENCES sites (code);
