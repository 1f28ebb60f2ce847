-- Paused work, repair costs and their approval.
ALTER TABLE tickets
    ADD COLUMN waiting_reason text NOT NULL DEFAULT '',
    ADD COLUMN cost_cents bigint NOT NULL DEFAULT 0 CHECK (cost_cents >= 0),
    ADD COLUMN approval_pending boolean NOT NULL DEFAULT false;
