-- Security: only an answer's author may change it, and consent changes are kept, not
-- overwritten; sessions know their member so a password change or removal can end them.

-- SHA-256 (hex) of the edit secret the visitor's device made for this answer. The secret itself
-- is never stored; NULL means the answer cannot be amended (API clients that sent none).
ALTER TABLE responses ADD COLUMN edit_secret_hash TEXT;

-- A consent choice changed after the answer was stored (e.g. "you may contact me" ticked
-- after the score was sent): what it was before (NULL: not shown yet), what it became, when.
CREATE TABLE consent_changes (
    response_id     BLOB NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    choice          TEXT NOT NULL,
    granted_before  INTEGER,
    granted         INTEGER NOT NULL,
    at              INTEGER NOT NULL  -- unix milliseconds, UTC
);
CREATE INDEX consent_changes_by_response ON consent_changes (response_id, at);

-- Whose session this is (NULL: signed out), so every session of a member can be ended at once.
ALTER TABLE sessions ADD COLUMN user_id BLOB;
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE user_id IS NOT NULL;

-- A share link's report ends at the last complete day in the organisation's zone (an IANA
-- name), so reloading it during the day publishes exactly the same figures.
ALTER TABLE organisations ADD COLUMN share_time_zone TEXT NOT NULL DEFAULT 'UTC';

-- Keys every app server of one database shares, made once (e.g. the one that signs the
-- cookie marking a browser its member signed in from).
CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
