-- Surveys become a segment key of the aggregates (NPS by survey, and a survey as a filter).
INSERT INTO response_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, 'survey',
    lower(substr(hex(survey_id), 1, 8) || '-' || substr(hex(survey_id), 9, 4) || '-' ||
          substr(hex(survey_id), 13, 4) || '-' || substr(hex(survey_id), 17, 4) || '-' ||
          substr(hex(survey_id), 21)),
    received_at / 900000, survey_id, org_id,
    SUM(score = 0), SUM(score = 1), SUM(score = 2), SUM(score = 3), SUM(score = 4), SUM(score = 5),
    SUM(score = 6), SUM(score = 7), SUM(score = 8), SUM(score = 9), SUM(score = 10)
FROM responses GROUP BY site_id, survey_id, received_at / 900000, org_id;
