-- What a device's own time says of its clock (ok, skewed, no_zone; null until it sends a
-- time), and, when skewed, by how many seconds its time was off the receive time.
ALTER TABLE devices ADD COLUMN clock text, ADD COLUMN clock_offset_s double precision;

-- An outbox item intake refused for good (or that waited too long for its incident's
-- ticket) is dead: kept with its reason, never tried again.
ALTER TABLE ticket_outbox ADD COLUMN dead_at timestamptz;

DROP INDEX ticket_outbox_due_idx;
CREATE INDEX ticket_outbox_due_idx ON ticket_outbox (due_at, id) WHERE done_at IS NULL AND dead_at IS NULL;
CREATE INDEX ticket_outbox_dead_idx ON ticket_outbox (dead_at) WHERE dead_at IS NOT NULL;
