-- Per-site rate limits hold across app servers: each server publishes what it let through per
-- second and takes what the others let through from its own buckets. Unlogged: the figures only
-- matter for a minute and need no crash safety. Site keys only: client digests never leave
-- the memory of the server that saw the client.
CREATE UNLOGGED TABLE rate_limit_spend (
    key       TEXT NOT NULL,
    instance  UUID NOT NULL,
    second    BIGINT NOT NULL,
    spent     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (key, instance, second)
);
CREATE INDEX rate_limit_spend_by_second ON rate_limit_spend (second);
