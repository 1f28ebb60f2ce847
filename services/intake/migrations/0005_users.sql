-- Users as data: the sites a staff member works at and the units a tenant lives in (the
-- first of each stays in users.site / users.unit, which sign-in puts in the token).
CREATE TABLE user_sites (
    username  text NOT NULL REFERENCES users (username),
    site      text NOT NULL REFERENCES sites (code),
    position  smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (username, site)
);

CREATE TABLE user_units (
    username  text NOT NULL REFERENCES users (username),
    site      text NOT NULL,
    unit      text NOT NULL,
    position  smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (username, site, unit),
    FOREIGN KEY (site, unit) REFERENCES units (site, code)
);

ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

INSERT INTO user_sites (username, site) SELECT username, site FROM users WHERE site IS NOT NULL;
INSERT INTO user_units (username, site, unit)
    SELECT u.username, u.site, u.unit FROM users u JOIN units n ON n.site = u.site AND n.code = u.unit
    WHERE u.unit <> '';
