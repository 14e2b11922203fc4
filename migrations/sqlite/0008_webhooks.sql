-- Webhooks and their durable outbox: a delivery row is written in the same transaction as the
-- answer it reports, so no event is lost between the commit and the sending.
CREATE TABLE webhooks (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organisations (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,  -- the HMAC key; needed in clear to sign each delivery
    events      TEXT NOT NULL,  -- comma-separated: response.created, detractor.received
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX webhooks_by_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY NOT NULL,
    webhook_id       BLOB NOT NULL REFERENCES webhooks (id),
    org_id           BLOB NOT NULL REFERENCES organisations (id),
    event            TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    locked_until     INTEGER,
    delivered_at     INTEGER,
    failed_at        INTEGER,   -- given up after the last retry
    last_status      INTEGER,
    last_error       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_org ON webhook_deliveries (org_id, created_at);
