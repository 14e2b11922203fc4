-- The dashboard: pre-aggregated score counts, comment search and tags.

-- Score counts per survey, per quarter hour (UTC), overall (dimension '') and per segment key.
-- Quarter hours because every time zone in use today starts its days on one, so day, week and
-- month buckets in any viewer's zone are exact sums of these rows. Kept in step with `responses`
-- by the store, inside the same transaction as the write it counts.
CREATE TABLE response_aggregates (
    site_id    UUID NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,
    value      TEXT NOT NULL,
    bucket     BIGINT NOT NULL,  -- unix milliseconds / 900000
    survey_id  UUID NOT NULL REFERENCES surveys (id),
    org_id     UUID NOT NULL REFERENCES organisations (id),
    s0 INTEGER NOT NULL DEFAULT 0, s1 INTEGER NOT NULL DEFAULT 0, s2 INTEGER NOT NULL DEFAULT 0,
    s3 INTEGER NOT NULL DEFAULT 0, s4 INTEGER NOT NULL DEFAULT 0, s5 INTEGER NOT NULL DEFAULT 0,
    s6 INTEGER NOT NULL DEFAULT 0, s7 INTEGER NOT NULL DEFAULT 0, s8 INTEGER NOT NULL DEFAULT 0,
    s9 INTEGER NOT NULL DEFAULT 0, s10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, bucket, survey_id)
);

WITH keyed AS (
    SELECT r.org_id, r.site_id, r.survey_id, r.score,
           floor(extract(epoch FROM r.received_at) / 900)::bigint AS bucket, k.dimension, k.value
    FROM responses r
    CROSS JOIN LATERAL (VALUES
        ('', ''), ('country', COALESCE(r.country, '')), ('device', COALESCE(r.device_class, '')),
        ('browser', COALESCE(r.browser_family, '')), ('language', COALESCE(r.language, '')),
        ('page', COALESCE(r.page_path, '')), ('trigger', COALESCE(r.trigger, ''))
    ) AS k (dimension, value)
)
INSERT INTO response_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, dimension, value, bucket, survey_id, org_id,
    COUNT(*) FILTER (WHERE score = 0), COUNT(*) FILTER (WHERE score = 1),
    COUNT(*) FILTER (WHERE score = 2), COUNT(*) FILTER (WHERE score = 3),
    COUNT(*) FILTER (WHERE score = 4), COUNT(*) FILTER (WHERE score = 5),
    COUNT(*) FILTER (WHERE score = 6), COUNT(*) FILTER (WHERE score = 7),
    COUNT(*) FILTER (WHERE score = 8), COUNT(*) FILTER (WHERE score = 9),
    COUNT(*) FILTER (WHERE score = 10)
FROM keyed GROUP BY site_id, dimension, value, bucket, survey_id, org_id;

-- Comment search: the 'simple' configuration, since comments come in many languages.
ALTER TABLE responses ADD COLUMN comment_search TSVECTOR
    GENERATED ALWAYS AS (to_tsvector('simple', COALESCE(comment, ''))) STORED;
CREATE INDEX responses_comment_search ON responses USING GIN (comment_search);

-- Tags members put on answers ("pricing", "bug", ...).
CREATE TABLE response_tags (
    response_id  UUID NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    org_id       UUID NOT NULL REFERENCES organisations (id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (response_id, tag)
);
CREATE INDEX response_tags_by_tag ON response_tags (org_id, tag);

-- Verbatims are listed newest first per site.
CREATE INDEX responses_by_site_received ON responses (site_id, received_at DESC, id);
