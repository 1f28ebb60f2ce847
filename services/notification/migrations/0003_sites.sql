-- The site of each message's ticket, so a site's staff read only their site's shared
-- (group) messages and deliveries. Rows stored before this have no site (''): admins see
-- them, site staff do not (a user's own messages stay theirs wherever the ticket is).
ALTER TABLE inbox ADD COLUMN site text NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN site text NOT NULL DEFAULT '';
CREATE INDEX inbox_group_site_idx ON inbox (username, site, id DESC);
CREATE INDEX deliveries_site_idx ON deliveries (site, id DESC);
