-- Schema sla: policies and calendars, the ticket facts and events the service follows,
-- each ticket's derived SLA state, and the timers. Runs with search_path = sla, public.

-- Business hours. `hours` is [[iso weekday, start minute, end minute], ...] in `time_zone`.
CREATE TABLE calendars (
    id          text PRIMARY KEY,
    name        text NOT NULL DEFAULT '',
    site        text NOT NULL DEFAULT '',
    time_zone   text NOT NULL,
    hours       jsonb NOT NULL,
    holidays    date[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A site has at most one calendar.
CREATE UNIQUE INDEX calendars_site_idx ON calendars (site) WHERE site <> '';

-- Targets are clock seconds; empty matchers match anything, and no two policies match
-- exactly the same tickets.
CREATE TABLE policies (
    id                text PRIMARY KEY,
    name              text NOT NULL DEFAULT '',
    kind              text NOT NULL DEFAULT '',
    category          text NOT NULL DEFAULT '',
    priority          text NOT NULL DEFAULT '',
    respond_target_s  double precision NOT NULL CHECK (respond_target_s > 0),
    resolve_target_s  double precision NOT NULL CHECK (resolve_target_s > 0),
    calendar          text NOT NULL DEFAULT '24x7',
    reminder_share    double precision NOT NULL DEFAULT 0,
    remind            text[] NOT NULL DEFAULT '{}',
    escalations       jsonb NOT NULL DEFAULT '[]',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policies_matchers_key UNIQUE (kind, category, priority)
);

-- What policies match on, and each ticket's derived state (rewritten on every relevant
-- event and on recomputation).
CREATE TABLE tickets (
    ticket_id            uuid PRIMARY KEY,
    kind                 text NOT NULL DEFAULT '',
    category             text NOT NULL DEFAULT '',
    priority             text NOT NULL DEFAULT '',
    site                 text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    open                 boolean NOT NULL DEFAULT true,
    -- NULL while no policy matches the ticket.
    policy_id            text,
    calendar_id          text NOT NULL DEFAULT '',
    respond_state        text NOT NULL DEFAULT '',
    respond_by           timestamptz,
    respond_ended_at     timestamptz,
    -- Clock seconds left while the clock is paused.
    respond_left_s       double precision,
    resolve_state        text NOT NULL DEFAULT '',
    resolve_by           timestamptz,
    resolve_ended_at     timestamptz,
    resolve_left_s       double precision,
    pauses               jsonb NOT NULL DEFAULT '[]',
    -- For the at-risk gauges: from when the ticket is at risk, and from when breached.
    risk_at              timestamptz,
    breach_at            timestamptz,
    needs_recompute      boolean NOT NULL DEFAULT false,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tickets_open_idx ON tickets (ticket_id) WHERE open;
CREATE INDEX tickets_stale_idx ON tickets (ticket_id) WHERE needs_recompute;
CREATE INDEX tickets_risk_idx ON tickets (risk_at) WHERE risk_at IS NOT NULL;

-- The part of each ticket's intake history the clocks depend on.
CREATE TABLE ticket_events (
    ticket_id    uuid NOT NULL,
    event_id     bigint NOT NULL,
    type         text NOT NULL,
    from_status  text NOT NULL DEFAULT '',
    to_status    text NOT NULL DEFAULT '',
    reason       text NOT NULL DEFAULT '',
    assignee     text NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, event_id)
);

-- Reminders, escalations and breaches. `deadline` is the SLA instant; `due_at` is when a
-- worker should next try it (the deadline, then moved on by leases and retries). A timer
-- fires once: `fired_at` is set when intake has recorded it (or it was given up).
CREATE TABLE timers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('reminder', 'escalation', 'breach')),
    target      text NOT NULL CHECK (target IN ('respond', 'resolve')),
    level       smallint NOT NULL DEFAULT 0,
    deadline    timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    notify      text[] NOT NULL DEFAULT '{}',
    action      text NOT NULL DEFAULT '',
    policy_id   text NOT NULL DEFAULT '',
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    fired_at    timestamptz,
    CONSTRAINT timers_identity_key UNIQUE (ticket_id, kind, target, level)
);

-- The workers' only way in: cost follows the number of due timers, not of open tickets.
CREATE INDEX timers_due_idx ON timers (due_at) WHERE fired_at IS NULL;

-- Where this service is in intake's ticket event log.
CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
