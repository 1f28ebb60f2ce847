-- Shared by every service that follows the event log: each links it into its migrations.
-- Ticket events this service's follower gave up on after repeated failures, so the events
-- after them flow again; FollowerService lists and retries them
-- (services/common/follower_store.py).
CREATE TABLE parked_events (
    consumer   text NOT NULL,
    event_id   bigint NOT NULL,
    ticket_id  text NOT NULL,
    type       text NOT NULL,
    event      bytea NOT NULL,
    error      text NOT NULL,
    attempts   integer NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
