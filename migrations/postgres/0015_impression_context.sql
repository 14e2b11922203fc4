-- Impressions carry the same non-content context as answers (never a query string, an IP or a
-- place finer than the country), so the funnel and the response rate can follow every
-- dashboard filter. They are counted into aggregates keyed exactly like `response_aggregates`,
-- in the transaction that stores them (an impression never changes once stored).
ALTER TABLE impressions ADD COLUMN country TEXT;
ALTER TABLE impressions ADD COLUMN device_class TEXT;
ALTER TABLE impressions ADD COLUMN browser_family TEXT;
ALTER TABLE impressions ADD COLUMN language TEXT;
ALTER TABLE impressions ADD COLUMN page_path TEXT;

CREATE TABLE impression_aggregates (
    site_id    UUID NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,
    value      TEXT NOT NULL,
    bucket     BIGINT NOT NULL,  -- unix milliseconds / 900000
    survey_id  UUID NOT NULL REFERENCES surveys (id),
    org_id     UUID NOT NULL REFERENCES organisations (id),
    shown      INTEGER NOT NULL DEFAULT 0,
    dismissed  INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, bucket, survey_id)
);

-- Impressions stored before this carried only their survey and trigger.
INSERT INTO impression_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    shown, dismissed, answered)
SELECT i.site_id, k.dimension, k.value, floor(extract(epoch FROM i.at) / 900)::bigint,
    i.survey_id, i.org_id,
    COUNT(*) FILTER (WHERE i.kind = 'shown'), COUNT(*) FILTER (WHERE i.kind = 'dismissed'),
    COUNT(*) FILTER (WHERE i.kind = 'answered')
FROM impressions i
CROSS JOIN LATERAL (VALUES
    ('', ''), ('survey', i.survey_id::text), ('trigger', COALESCE(i.trigger, '')),
    ('country', ''), ('device', ''), ('browser', ''), ('language', ''), ('page', '')
) AS k (dimension, value)
GROUP BY i.site_id, k.dimension, k.value, floor(extract(epoch FROM i.at) / 900)::bigint,
    i.survey_id, i.org_id;
