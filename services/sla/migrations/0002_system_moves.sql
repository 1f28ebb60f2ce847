-- Whether a service (not a person) made the event: dispatch's automatic assignment does
-- not answer the respond target. Events stored before this column count as a person's.
ALTER TABLE ticket_events ADD COLUMN by_system boolean NOT NULL DEFAULT false;
