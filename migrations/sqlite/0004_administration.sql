-- Administration: invitations by single-use link, and the audit log of admin actions.

CREATE TABLE invitations (
    id           BLOB PRIMARY KEY NOT NULL,
    org_id       BLOB NOT NULL REFERENCES organisations (id),
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    token_hash   TEXT NOT NULL UNIQUE,  -- SHA-256 of the link's token; the token is never stored
    invited_by   BLOB REFERENCES users (id),
    created_at   INTEGER NOT NULL,      -- unix ms
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    accepted_by  BLOB REFERENCES users (id),
    revoked_at   INTEGER
);
CREATE INDEX invitations_by_org ON invitations (org_id, created_at);

-- Who did what, when. `subject` names the object (an id, a role), never personal data.
CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organisations (id),
    actor       BLOB REFERENCES users (id),
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          INTEGER NOT NULL        -- unix ms
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, at);

CREATE INDEX api_tokens_by_org ON api_tokens (org_id, created_at);
