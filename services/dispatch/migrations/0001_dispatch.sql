-- Schema dispatch: teams, technicians, the duty roster and routing rules (configuration);
-- the tickets dispatch follows, routing jobs, offers, calls to intake and the decision log
-- (work). Runs with search_path = dispatch, public.

CREATE TABLE teams (
    site         text NOT NULL,
    code         text NOT NULL,
    name         text NOT NULL DEFAULT '',
    supervisors  text[] NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, code)
);

CREATE TABLE technicians (
    username      text PRIMARY KEY,
    site          text NOT NULL,
    team          text NOT NULL,
    skills        text[] NOT NULL DEFAULT '{}',
    buildings     text[] NOT NULL DEFAULT '{}',
    display_name  text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (site, team) REFERENCES teams (site, code)
);

CREATE INDEX technicians_team_idx ON technicians (site, team);

-- Weekly shifts: days are weekday numbers (0 = Monday) the shift starts on; an end at or
-- before the start runs past midnight.
CREATE TABLE shifts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site        text NOT NULL,
    username    text NOT NULL,
    days        smallint[] NOT NULL,
    start_time  time NOT NULL,
    end_time    time NOT NULL,
    timezone    text NOT NULL
);

CREATE INDEX shifts_site_idx ON shifts (site);

CREATE TABLE duty_overrides (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site       text NOT NULL,
    username   text NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    on_duty    boolean NOT NULL,
    note       text NOT NULL DEFAULT ''
);

CREATE INDEX duty_overrides_site_idx ON duty_overrides (site, ends_at);

-- One ordered, validated rule document per site (rules are replaced as a whole).
CREATE TABLE rule_sets (
    site        text PRIMARY KEY,
    timezone    text NOT NULL,
    document    jsonb NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    updated_by  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The tickets dispatch follows, kept from intake's event log: who has each one, who
-- declined it. Open work per technician is counted from here.
CREATE TABLE tickets (
    ticket_id    text PRIMARY KEY,
    status       text NOT NULL,
    assignee     text,
    declined_by  text[] NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tickets_open_work_idx ON tickets (assignee)
    WHERE assignee IS NOT NULL
      AND status NOT IN ('resolved', 'awaiting_rating', 'closed', 'cancelled');

-- Tickets to route. `source_key` (the event's cursor, or what caused the job) makes a
-- replayed event or a second replica add no second job. Claimed under a lease.
CREATE TABLE route_jobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   text NOT NULL,
    reason      text NOT NULL,
    source_key  text NOT NULL UNIQUE,
    exclude     text[] NOT NULL DEFAULT '{}',
    mode        text,
    team        text,
    due_at      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    done_at     timestamptz,
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX route_jobs_due_idx ON route_jobs (due_at) WHERE done_at IS NULL;

-- Offers of the claim mode (抢单), one per ticket (a new offer replaces an old one).
-- open -> claiming (one claim in flight, leased) -> claimed | open (intake failed);
-- open -> expired (fallen back to assignment); open -> closed (taken another way).
CREATE TABLE offers (
    ticket_id    text PRIMARY KEY,
    site         text NOT NULL,
    team         text NOT NULL,
    offered_to   text[] NOT NULL,
    summary      jsonb NOT NULL DEFAULT '{}',
    offered_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    state        text NOT NULL CHECK (state IN ('open', 'claiming', 'claimed', 'expired', 'closed')),
    claimant     text,
    claim_until  timestamptz,
    claimed_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX offers_due_idx ON offers (expires_at) WHERE state IN ('open', 'claiming');
CREATE INDEX offers_offered_to_idx ON offers USING gin (offered_to) WHERE state = 'open';

-- Every routing decision and why: the assignments log.
CREATE TABLE decisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    text NOT NULL,
    job_id       bigint,
    reason       text NOT NULL,
    rule         text NOT NULL,
    mode         text NOT NULL,
    team         text NOT NULL,
    assignee     text,
    offered_to   text[] NOT NULL DEFAULT '{}',
    paged        text[] NOT NULL DEFAULT '{}',
    page_reason  text NOT NULL DEFAULT '',
    notify       text[] NOT NULL DEFAULT '{}',
    explanation  text NOT NULL DEFAULT '',
    facts        jsonb NOT NULL DEFAULT '{}',
    decided_at   timestamptz NOT NULL
);

CREATE INDEX decisions_ticket_idx ON decisions (ticket_id, id);

-- Calls to intake decided but maybe not yet made: assignments and activities (offers,
-- pages). Delivered under a lease, retried with back-off; each is safe to repeat.
CREATE TABLE intake_calls (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('assign', 'activity')),
    payload     jsonb NOT NULL,
    due_at      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    done_at     timestamptz,
    outcome     text NOT NULL DEFAULT '',
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX intake_calls_due_idx ON intake_calls (due_at) WHERE done_at IS NULL;
CREATE INDEX intake_calls_ticket_idx ON intake_calls (ticket_id);

-- Where dispatch is in intake's ticket event log.
CREATE TABLE event_cursor (
    consumer    text PRIMARY KEY,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
