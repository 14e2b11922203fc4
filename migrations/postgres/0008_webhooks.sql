-- Webhooks and their durable outbox: a delivery row is written in the same transaction as the
-- answer it reports, so no event is lost between the commit and the sending.
CREATE TABLE webhooks (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX webhooks_by_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    webhook_id       UUID NOT NULL REFERENCES webhooks (id),
    org_id           UUID NOT NULL REFERENCES organisations (id),
    event            TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    locked_until     TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    failed_at        TIMESTAMPTZ,
    last_status      INTEGER,
    last_error       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_org ON webhook_deliveries (org_id, created_at);
