-- Who changed how the system works, and when (protos/maintenance/intake/v1/audit.proto):
-- appended by the gateway after each successful change it passes on; never updated.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    username    text NOT NULL,
    role        text NOT NULL,
    site        text NOT NULL DEFAULT '',
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    body        jsonb,
    request_id  text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_username ON audit_log (username, id);
