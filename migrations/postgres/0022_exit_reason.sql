-- The exit-reason question of a survey (JSON, `domain::ReasonQuestion`: options per band and
-- their labels per language; `{}`: not asked), and the reason an answer gave (an option's key).
ALTER TABLE surveys ADD COLUMN reason TEXT NOT NULL DEFAULT '{}';
ALTER TABLE responses ADD COLUMN reason TEXT;
-- Every answer counted so far has no reason: the dimension's rows for them are the totals'
-- (`dimension = ''`), copied, so that past periods read "no reason" rather than nothing, and
-- erasing a past answer takes from a row that counted it.
INSERT INTO response_aggregates (site_id, dimension, value, span, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, 'reason', '', span, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10
FROM response_aggregates WHERE dimension = '';
