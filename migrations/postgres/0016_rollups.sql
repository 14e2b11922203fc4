-- Hour and day rollups beside the quarter hours, in the same tables. A row now covers `span`
-- quarter hours from `bucket` (1: a quarter hour, 4: an hour, 96: a UTC day); every answer and
-- event is counted once at each span. A report reads a range as whole UTC days, whole hours at
-- the days' ragged ends and quarter hours only where a zone's offset is not whole hours
-- (`aggregates::pieces`): over a year, tens of times fewer rows than quarter hours alone.
--
-- `value` stays before `span` in the key, so one segment's trend is a range scan; NPS by segment
-- walks the few values of a dimension first (a loose index scan).
ALTER TABLE response_aggregates ADD COLUMN span SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE response_aggregates DROP CONSTRAINT response_aggregates_pkey;
INSERT INTO response_aggregates (site_id, dimension, value, span, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT a.site_id, a.dimension, a.value, s.span, a.bucket / s.span * s.span, a.survey_id, a.org_id,
    SUM(a.s0), SUM(a.s1), SUM(a.s2), SUM(a.s3), SUM(a.s4), SUM(a.s5), SUM(a.s6), SUM(a.s7),
    SUM(a.s8), SUM(a.s9), SUM(a.s10)
FROM response_aggregates a CROSS JOIN (VALUES (4), (96)) AS s (span)
WHERE a.span = 1
GROUP BY a.site_id, a.dimension, a.value, s.span, a.bucket / s.span, a.survey_id, a.org_id;
ALTER TABLE response_aggregates ADD PRIMARY KEY (site_id, dimension, value, span, bucket, survey_id);
ALTER TABLE response_aggregates ALTER COLUMN span DROP DEFAULT;

ALTER TABLE impression_aggregates ADD COLUMN span SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE impression_aggregates DROP CONSTRAINT impression_aggregates_pkey;
INSERT INTO impression_aggregates (site_id, dimension, value, span, bucket, survey_id, org_id,
    shown, dismissed, answered)
SELECT a.site_id, a.dimension, a.value, s.span, a.bucket / s.span * s.span, a.survey_id, a.org_id,
    SUM(a.shown), SUM(a.dismissed), SUM(a.answered)
FROM impression_aggregates a CROSS JOIN (VALUES (4), (96)) AS s (span)
WHERE a.span = 1
GROUP BY a.site_id, a.dimension, a.value, s.span, a.bucket / s.span, a.survey_id, a.org_id;
ALTER TABLE impression_aggregates ADD PRIMARY KEY (site_id, dimension, value, span, bucket, survey_id);
ALTER TABLE impression_aggregates ALTER COLUMN span DROP DEFAULT;
