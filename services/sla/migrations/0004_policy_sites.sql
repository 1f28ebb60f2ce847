-- Each policy belongs to a site, or to none: a default for every site (the policies stored
-- so far). A site's own matching policy goes before the defaults, and no two policies of a
-- site (or two defaults) match exactly the same tickets. A site's staff manage its policies
-- and read the defaults; only admins change the defaults.
ALTER TABLE policies ADD COLUMN site text NOT NULL DEFAULT '';
ALTER TABLE policies DROP CONSTRAINT policies_matchers_key;
ALTER TABLE policies ADD CONSTRAINT policies_matchers_key UNIQUE (site, kind, category, priority);
