-- Journey context, numbers only: pages of the site viewed in the visit, seconds on the site
-- (the start of its bucket: `domain::journey`) and JavaScript errors the site's pages raised,
-- a count, never a message, URL or stack. Answers and impressions carry them alike, so the
-- funnel and the correction for non-response can use them.
ALTER TABLE responses ADD COLUMN pages_viewed INTEGER;
ALTER TABLE responses ADD COLUMN seconds_on_site INTEGER;
ALTER TABLE responses ADD COLUMN errors_seen INTEGER;
ALTER TABLE impressions ADD COLUMN pages_viewed INTEGER;
ALTER TABLE impressions ADD COLUMN seconds_on_site INTEGER;
ALTER TABLE impressions ADD COLUMN errors_seen INTEGER;
