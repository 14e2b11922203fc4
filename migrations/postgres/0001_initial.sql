-- Farewell's first schema (PostgreSQL).

CREATE TABLE organisations (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    org_id      UUID NOT NULL REFERENCES organisations (id),
    user_id     UUID NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE sites (
    id               UUID PRIMARY KEY,
    org_id           UUID NOT NULL REFERENCES organisations (id),
    name             TEXT NOT NULL,
    site_key         TEXT NOT NULL UNIQUE,
    allowed_origins  JSONB NOT NULL DEFAULT '[]',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sites_by_org ON sites (org_id);

CREATE TABLE surveys (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations (id),
    site_id       UUID NOT NULL REFERENCES sites (id),
    name          TEXT NOT NULL,
    product_name  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX surveys_by_site ON surveys (site_id, created_at);

CREATE TABLE privacy_notices (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations (id),
    version       INTEGER NOT NULL CHECK (version > 0),
    language      TEXT NOT NULL,
    body          TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, version)
);

-- Append-only, enforced by the database itself.
CREATE FUNCTION refuse_notice_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'privacy notice versions are immutable';
END;
$$;
CREATE TRIGGER privacy_notices_are_immutable
    BEFORE UPDATE OR DELETE ON privacy_notices
    FOR EACH ROW EXECUTE FUNCTION refuse_notice_change();
CREATE TRIGGER privacy_notices_are_never_truncated
    BEFORE TRUNCATE ON privacy_notices
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_notice_change();

CREATE TABLE responses (
    id               UUID PRIMARY KEY,
    org_id           UUID NOT NULL REFERENCES organisations (id),
    site_id          UUID NOT NULL REFERENCES sites (id),
    survey_id        UUID NOT NULL REFERENCES surveys (id),
    score            SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment          TEXT,
    language         TEXT,
    received_at      TIMESTAMPTZ NOT NULL,
    notice_id        UUID NOT NULL REFERENCES privacy_notices (id),
    consent_choices  JSONB NOT NULL,
    page_path        TEXT,
    device_class     TEXT,
    browser_family   TEXT,
    country          TEXT
);
CREATE INDEX responses_by_site_time ON responses (org_id, site_id, received_at);

CREATE TABLE api_tokens (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
