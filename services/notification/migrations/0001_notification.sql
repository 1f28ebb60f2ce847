-- Schema notification: contacts, the in-app inbox, the delivery outbox and the cursor in
-- intake's ticket event log. Runs with search_path = notification, public.

-- How to reach each user: language, apprise URLs (which may hold secrets), inbox or not.
CREATE TABLE contacts (
    username      text PRIMARY KEY,
    locale        text NOT NULL,
    apprise_urls  text[] NOT NULL DEFAULT '{}',
    in_app        boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The in-app inbox. One row per event and recipient: a replayed event adds nothing.
CREATE TABLE inbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text NOT NULL,
    event_id       bigint NOT NULL,
    ticket_id      text NOT NULL,
    ticket_number  text NOT NULL DEFAULT '',
    event_type     text NOT NULL,
    kind           text NOT NULL,
    locale         text NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    read_at        timestamptz,
    UNIQUE (event_id, username)
);

CREATE INDEX inbox_user_idx ON inbox (username, id DESC);
CREATE INDEX inbox_unread_idx ON inbox (username, id DESC) WHERE read_at IS NULL;

-- The delivery outbox: one row per message, recipient and channel. The dedupe key
-- "<event id>:<recipient>:<channel id>" is unique, so a replay queues nothing twice.
-- Rows are claimed under a lease (due_at moves forward) with FOR UPDATE SKIP LOCKED.
CREATE TABLE deliveries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key     text NOT NULL UNIQUE,
    event_id       bigint NOT NULL,
    ticket_id      text NOT NULL,
    event_type     text NOT NULL,
    kind           text NOT NULL,
    recipient      text NOT NULL,
    url            text NOT NULL,
    channel        text NOT NULL,
    scheme         text NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    due_at         timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX deliveries_due_idx ON deliveries (due_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_ticket_idx ON deliveries (ticket_id, id DESC);
CREATE INDEX deliveries_open_idx ON deliveries (state, id DESC) WHERE state <> 'sent';
CREATE INDEX deliveries_recipient_idx ON deliveries (recipient, id DESC);

-- Where this service is in intake's ticket event log.
CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
