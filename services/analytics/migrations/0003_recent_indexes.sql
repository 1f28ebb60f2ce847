-- The gauges count tickets raised and rated in the last 30 days every 15 seconds: without
-- these they read every ticket the site ever had.
CREATE INDEX tickets_created_idx ON tickets (created_at);
CREATE INDEX tickets_rated_idx ON tickets (rated_at) WHERE rated_at IS NOT NULL;
