-- Administration: invitations by single-use link, and the audit log of admin actions.

CREATE TABLE invitations (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES organisations (id),
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   UUID REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    accepted_by  UUID REFERENCES users (id),
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX invitations_by_org ON invitations (org_id, created_at);

-- Who did what, when. `subject` names the object (an id, a role), never personal data.
CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    actor       UUID REFERENCES users (id),
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, at);

CREATE INDEX api_tokens_by_org ON api_tokens (org_id, created_at);
