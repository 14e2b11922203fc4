-- Hour and day rollups beside the quarter hours, in the same tables. A row now covers `span`
-- quarter hours from `bucket` (1: a quarter hour, 4: an hour, 96: a UTC day); every answer and
-- event is counted once at each span. A report reads a range as whole UTC days, whole hours at
-- the days' ragged ends and quarter hours only where a zone's offset is not whole hours
-- (`aggregates::pieces`): over a year, tens of times fewer rows than quarter hours alone.
--
-- `value` stays before `span` in the key, so one segment's trend is a range scan; NPS by segment
-- walks the few values of a dimension first (a loose index scan).
CREATE TABLE response_counts (
    site_id    BLOB NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,
    value      TEXT NOT NULL,
    span       INTEGER NOT NULL,  -- quarter hours the row covers: 1, 4 or 96
    bucket     INTEGER NOT NULL,  -- its first quarter hour: unix milliseconds / 900000
    survey_id  BLOB NOT NULL REFERENCES surveys (id),
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    s0 INTEGER NOT NULL DEFAULT 0, s1 INTEGER NOT NULL DEFAULT 0, s2 INTEGER NOT NULL DEFAULT 0,
    s3 INTEGER NOT NULL DEFAULT 0, s4 INTEGER NOT NULL DEFAULT 0, s5 INTEGER NOT NULL DEFAULT 0,
    s6 INTEGER NOT NULL DEFAULT 0, s7 INTEGER NOT NULL DEFAULT 0, s8 INTEGER NOT NULL DEFAULT 0,
    s9 INTEGER NOT NULL DEFAULT 0, s10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, span, bucket, survey_id)
) WITHOUT ROWID;

INSERT INTO response_counts (site_id, dimension, value, span, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, dimension, value, 1, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10
FROM response_aggregates;

INSERT INTO response_counts (site_id, dimension, value, span, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT a.site_id, a.dimension, a.value, s.span, a.bucket / s.span * s.span, a.survey_id, a.org_id,
    SUM(a.s0), SUM(a.s1), SUM(a.s2), SUM(a.s3), SUM(a.s4), SUM(a.s5), SUM(a.s6), SUM(a.s7),
    SUM(a.s8), SUM(a.s9), SUM(a.s10)
FROM response_aggregates a CROSS JOIN (SELECT 4 AS span UNION ALL SELECT 96) s
GROUP BY a.site_id, a.dimension, a.value, s.span, a.bucket / s.span, a.survey_id, a.org_id;

DROP TABLE response_aggregates;
ALTER TABLE response_counts RENAME TO response_aggregates;

CREATE TABLE event_counts (
    site_id    BLOB NOT NULL REFERENCES sites (id),
    dimension  TEXT NOT NULL,
    value      TEXT NOT NULL,
    span       INTEGER NOT NULL,  -- quarter hours the row covers: 1, 4 or 96
    bucket     INTEGER NOT NULL,  -- its first quarter hour: unix milliseconds / 900000
    survey_id  BLOB NOT NULL REFERENCES surveys (id),
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    shown      INTEGER NOT NULL DEFAULT 0,
    dismissed  INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dimension, value, span, bucket, survey_id)
) WITHOUT ROWID;

INSERT INTO event_counts (site_id, dimension, value, span, bucket, survey_id, org_id,
    shown, dismissed, answered)
SELECT site_id, dimension, value, 1, bucket, survey_id, org_id, shown, dismissed, answered
FROM impression_aggregates;

INSERT INTO event_counts (site_id, dimension, value, span, bucket, survey_id, org_id,
    shown, dismissed, answered)
SELECT a.site_id, a.dimension, a.value, s.span, a.bucket / s.span * s.span, a.survey_id, a.org_id,
    SUM(a.shown), SUM(a.dismissed), SUM(a.answered)
FROM impression_aggregates a CROSS JOIN (SELECT 4 AS span UNION ALL SELECT 96) s
GROUP BY a.site_id, a.dimension, a.value, s.span, a.bucket / s.span, a.survey_id, a.org_id;

DROP TABLE impression_aggregates;
ALTER TABLE event_counts RENAME TO impression_aggregates;
