-- One time encoding: every time column holds integer milliseconds since 1970, UTC. Until now
-- the tables of 0001 held RFC 3339 text (as chrono wrote it) and sessions held seconds. Every
-- row is kept: each text column is copied into an integer column that then takes its name
-- (SQLite cannot change a column's type in place). `DEFAULT 0` is only there because SQLite
-- adds a NOT NULL column with a default; every row is filled from the old column.

ALTER TABLE organisations ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE organisations SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE organisations DROP COLUMN created_at;
ALTER TABLE organisations RENAME COLUMN created_at_ms TO created_at;

ALTER TABLE users ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE users SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE users DROP COLUMN created_at;
ALTER TABLE users RENAME COLUMN created_at_ms TO created_at;

ALTER TABLE memberships ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE memberships DROP COLUMN created_at;
ALTER TABLE memberships RENAME COLUMN created_at_ms TO created_at;

ALTER TABLE sites ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sites SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE sites DROP COLUMN created_at;
ALTER TABLE sites RENAME COLUMN created_at_ms TO created_at;

DROP INDEX surveys_by_site;
ALTER TABLE surveys ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE surveys SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE surveys DROP COLUMN created_at;
ALTER TABLE surveys RENAME COLUMN created_at_ms TO created_at;
CREATE INDEX surveys_by_site ON surveys (site_id, created_at);

-- Notice versions are immutable: the guard is lifted for this one copy and put back.
DROP TRIGGER privacy_notices_are_immutable_update;
DROP TRIGGER privacy_notices_are_immutable_delete;
ALTER TABLE privacy_notices ADD COLUMN published_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE privacy_notices SET published_at_ms = CAST(strftime('%s', published_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', published_at), 4, 3) AS INTEGER);
ALTER TABLE privacy_notices DROP COLUMN published_at;
ALTER TABLE privacy_notices RENAME COLUMN published_at_ms TO published_at;
CREATE TRIGGER privacy_notices_are_immutable_update BEFORE UPDATE ON privacy_notices
BEGIN
    SELECT RAISE(ABORT, 'privacy notice versions are immutable');
END;
CREATE TRIGGER privacy_notices_are_immutable_delete BEFORE DELETE ON privacy_notices
BEGIN
    SELECT RAISE(ABORT, 'privacy notice versions are immutable');
END;

DROP INDEX api_tokens_by_org;
ALTER TABLE api_tokens ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE api_tokens SET created_at_ms = CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', created_at), 4, 3) AS INTEGER);
ALTER TABLE api_tokens DROP COLUMN created_at;
ALTER TABLE api_tokens RENAME COLUMN created_at_ms TO created_at;
ALTER TABLE api_tokens ADD COLUMN revoked_at_ms INTEGER;
UPDATE api_tokens SET revoked_at_ms = CAST(strftime('%s', revoked_at) AS INTEGER) * 1000 + CAST(substr(strftime('%f', revoked_at), 4, 3) AS INTEGER) WHERE revoked_at IS NOT NULL;
ALTER TABLE api_tokens DROP COLUMN revoked_at;
ALTER TABLE api_tokens RENAME COLUMN revoked_at_ms TO revoked_at;
CREATE INDEX api_tokens_by_org ON api_tokens (org_id, created_at);

-- Seconds to milliseconds, in place: the column is already an integer.
UPDATE sessions SET expires_at = expires_at * 1000;
