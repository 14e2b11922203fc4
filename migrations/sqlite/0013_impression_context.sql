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
    site_id    BLOB NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,     -- '', survey, country, device, browser, language, page, trigger
    value      TEXT NOT NULL,     -- '' when the impression did not carry the key
    bucket     INTEGER NOT NULL,  -- unix milliseconds / 900000
    survey_id  BLOB NOT NULL REFERENCES surveys (id),
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    shown      INTEGER NOT NULL DEFAULT 0,
    dismissed  INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, bucket, survey_id)
) WITHOUT ROWID;

-- Impressions stored before this carried only their survey and trigger.
WITH keyed AS (
    SELECT org_id, site_id, survey_id, kind, at / 900000 AS bucket, '' AS dimension, '' AS value FROM impressions
    UNION ALL SELECT org_id, site_id, survey_id, kind, at / 900000, 'survey',
        lower(substr(hex(survey_id), 1, 8) || '-' || substr(hex(survey_id), 9, 4) || '-' ||
              substr(hex(survey_id), 13, 4) || '-' || substr(hex(survey_id), 17, 4) || '-' ||
              substr(hex(survey_id), 21)) FROM impressions
    UNION ALL SELECT org_id, site_id, survey_id, kind, at / 900000, 'trigger', COALESCE(trigger, '') FROM impressions
    UNION ALL SELECT org_id, site_id, survey_id, kind, at / 900000, d.dimension, ''
        FROM impressions CROSS JOIN (SELECT 'country' AS dimension UNION ALL SELECT 'device'
            UNION ALL SELECT 'browser' UNION ALL SELECT 'language' UNION ALL SELECT 'page') d
)
INSERT INTO impression_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    shown, dismissed, answered)
SELECT site_id, dimension, value, bucket, survey_id, org_id,
    SUM(kind = 'shown'), SUM(kind = 'dismissed'), SUM(kind = 'answered')
FROM keyed GROUP BY site_id, dimension, value, bucket, survey_id, org_id;
