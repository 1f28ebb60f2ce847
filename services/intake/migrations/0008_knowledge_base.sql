-- The knowledge base (docs/knowledge-base.md): articles in Chinese, English or both, and
-- what became of each question an article was offered for.
--
-- `search` is written by intake from its own tokenizer (services/intake/domain/search_text.py):
-- Chinese as character bigrams (and single characters) through the 'simple' configuration,
-- Latin words through 'english' (stemmed, stop words dropped), weighted by field: title A,
-- tags B, category C, body D.
CREATE TABLE kb_articles (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    body         text NOT NULL,
    title_en     text NOT NULL DEFAULT '',
    body_en      text NOT NULL DEFAULT '',
    category     text NOT NULL DEFAULT '',
    tags         text[] NOT NULL DEFAULT '{}',
    locale       text NOT NULL CHECK (locale IN ('zh-CN', 'en', 'both')),
    -- NULL: every site.
    site         text REFERENCES sites (code),
    published    boolean NOT NULL DEFAULT false,
    search       tsvector NOT NULL,
    -- Tenants' reads.
    views        bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    updated_by   text NOT NULL
);

CREATE INDEX kb_articles_search ON kb_articles USING gin (search);
CREATE INDEX kb_articles_site ON kb_articles (site, published);

-- "Was this helpful?": one answer per reader and article, which they may change.
CREATE TABLE kb_feedback (
    article_id  text NOT NULL REFERENCES kb_articles (id),
    username    text NOT NULL,
    helpful     boolean NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (article_id, username)
);

-- One row per tenant's question: answered by an article before any ticket (no ticket_id),
-- or an inquiry ticket, which went on to a person ('ticket') until an article answered it.
-- `suggested` holds the articles offered when the inquiry was raised.
CREATE TABLE kb_inquiries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site         text NOT NULL,
    username     text NOT NULL,
    query        text NOT NULL,
    ticket_id    uuid UNIQUE REFERENCES tickets (id),
    suggested    text[] NOT NULL DEFAULT '{}',
    outcome      text NOT NULL CHECK (outcome IN ('answered', 'ticket')),
    article_id   text REFERENCES kb_articles (id),
    asked_at     timestamptz NOT NULL,
    answered_at  timestamptz
);

CREATE INDEX kb_inquiries_asked ON kb_inquiries (site, asked_at);
