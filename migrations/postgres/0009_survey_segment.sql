-- Surveys become a segment key of the aggregates (NPS by survey, and a survey as a filter).
INSERT INTO response_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT site_id, 'survey', survey_id::text, floor(extract(epoch FROM received_at) / 900)::bigint,
    survey_id, org_id,
    COUNT(*) FILTER (WHERE score = 0), COUNT(*) FILTER (WHERE score = 1),
    COUNT(*) FILTER (WHERE score = 2), COUNT(*) FILTER (WHERE score = 3),
    COUNT(*) FILTER (WHERE score = 4), COUNT(*) FILTER (WHERE score = 5),
    COUNT(*) FILTER (WHERE score = 6), COUNT(*) FILTER (WHERE score = 7),
    COUNT(*) FILTER (WHERE score = 8), COUNT(*) FILTER (WHERE score = 9),
    COUNT(*) FILTER (WHERE score = 10)
FROM responses GROUP BY site_id, survey_id, floor(extract(epoch FROM received_at) / 900)::bigint, org_id;
