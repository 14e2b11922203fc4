-- The dashboard: pre-aggregated score counts, comment search and tags.

-- Score counts per survey, per quarter hour (UTC), overall (dimension '') and per segment key.
-- Quarter hours because every time zone in use today starts its days on one, so day, week and
-- month buckets in any viewer's zone are exact sums of these rows. Kept in step with `responses`
-- by the store, inside the same transaction as the write it counts.
CREATE TABLE response_aggregates (
    site_id    BLOB NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,     -- '', country, device, browser, language, page, trigger
    value      TEXT NOT NULL,     -- '' when the answer did not carry the key
    bucket     INTEGER NOT NULL,  -- unix milliseconds / 900000
    survey_id  BLOB NOT NULL REFERENCES surveys (id),
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    s0 INTEGER NOT NULL DEFAULT 0, s1 INTEGER NOT NULL DEFAULT 0, s2 INTEGER NOT NULL DEFAULT 0,
    s3 INTEGER NOT NULL DEFAULT 0, s4 INTEGER NOT NULL DEFAULT 0, s5 INTEGER NOT NULL DEFAULT 0,
    s6 INTEGER NOT NULL DEFAULT 0, s7 INTEGER NOT NULL DEFAULT 0, s8 INTEGER NOT NULL DEFAULT 0,
    s9 INTEGER NOT NULL DEFAULT 0, s10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, bucket, survey_id)
) WITHOUT ROWID;

WITH keyed AS (
    SELECT org_id, site_id, survey_id, score, received_at / 900000 AS bucket, '' AS dimension, '' AS value FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'country', COALESCE(country, '') FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'device', COALESCE(device_class, '') FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'browser', COALESCE(browser_family, '') FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'language', COALESCE(language, '') FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'page', COALESCE(page_path, '') FROM responses
    UNION ALL SELECT org_id, site_id, survey_id, score, received_at / 900000, 'trigger', COALESCE(trigger, '') FROM responses
)
INSERT INTO response_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, dimension, value, bucket, survey_id, org_id,
    SUM(score = 0), SUM(score = 1), SUM(score = 2), SUM(score = 3), SUM(score = 4), SUM(score = 5),
    SUM(score = 6), SUM(score = 7), SUM(score = 8), SUM(score = 9), SUM(score = 10)
FROM keyed GROUP BY site_id, dimension, value, bucket, survey_id, org_id;

-- Comment search. The FTS table holds no text of its own (contentless); its rowids come from
-- a key table, since a `responses` rowid is not stable across VACUUM. Triggers keep it in step
-- with every insert, amendment and deletion (erasure included).
CREATE TABLE comment_search_keys (
    rowid        INTEGER PRIMARY KEY,
    response_id  BLOB NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE comment_search USING fts5 (
    comment, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER responses_comment_search_insert AFTER INSERT ON responses
WHEN new.comment IS NOT NULL AND new.comment <> ''
BEGIN
    INSERT INTO comment_search_keys (response_id) VALUES (new.id);
    INSERT INTO comment_search (rowid, comment)
        SELECT rowid, new.comment FROM comment_search_keys WHERE response_id = new.id;
END;

CREATE TRIGGER responses_comment_search_update AFTER UPDATE OF comment ON responses
BEGIN
    DELETE FROM comment_search
        WHERE rowid = (SELECT rowid FROM comment_search_keys WHERE response_id = old.id);
    INSERT OR IGNORE INTO comment_search_keys (response_id)
        SELECT new.id WHERE new.comment IS NOT NULL AND new.comment <> '';
    INSERT INTO comment_search (rowid, comment)
        SELECT rowid, new.comment FROM comment_search_keys
        WHERE response_id = new.id AND new.comment IS NOT NULL AND new.comment <> '';
END;

CREATE TRIGGER responses_comment_search_delete AFTER DELETE ON responses
BEGIN
    DELETE FROM comment_search
        WHERE rowid = (SELECT rowid FROM comment_search_keys WHERE response_id = old.id);
    DELETE FROM comment_search_keys WHERE response_id = old.id;
END;

INSERT INTO comment_search_keys (response_id)
    SELECT id FROM responses WHERE comment IS NOT NULL AND comment <> '';
INSERT INTO comment_search (rowid, comment)
    SELECT k.rowid, r.comment FROM comment_search_keys k JOIN responses r ON r.id = k.response_id;

-- Tags members put on answers ("pricing", "bug", ...).
CREATE TABLE response_tags (
    response_id  BLOB NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    org_id       BLOB NOT NULL REFERENCES organisations (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (response_id, tag)
);
CREATE INDEX response_tags_by_tag ON response_tags (org_id, tag);

-- Verbatims are listed newest first per site.
CREATE INDEX responses_by_site_received ON responses (site_id, received_at DESC, id);
