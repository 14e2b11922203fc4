-- Each member's digest of an organisation: how often (off, daily, weekly), when (an hour of
-- their own time zone; a weekly one on an ISO weekday, 1 = Monday), where (their e-mail, or
-- a chat webhook of the organisation), and whether a significant change is alerted. A member
-- who leaves the organisation gets nothing (the worker reads only current members).
CREATE TABLE digest_subscriptions (
    org_id        BLOB NOT NULL REFERENCES organisations (id),
    user_id       BLOB NOT NULL REFERENCES users (id),
    cadence       TEXT NOT NULL CHECK (cadence IN ('off', 'daily', 'weekly')),
    time_zone     TEXT NOT NULL,
    hour          INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    alerts        INTEGER NOT NULL CHECK (alerts IN (0, 1)),
    webhook_id    BLOB REFERENCES webhooks (id),
    next_run_at   INTEGER NOT NULL,  -- unix milliseconds: the next look, taken by compare-and-set
    last_sent_at  INTEGER,           -- unix milliseconds
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX digest_subscriptions_due ON digest_subscriptions (next_run_at);

-- The last significant-change alert each member had of each site: a change is told once,
-- not every day it lasts.
CREATE TABLE digest_alerts (
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    site_id    BLOB NOT NULL REFERENCES sites (id),
    direction  TEXT NOT NULL CHECK (direction IN ('rise', 'drop')),
    sent_at    INTEGER NOT NULL,  -- unix milliseconds
    PRIMARY KEY (org_id, user_id, site_id)
);
