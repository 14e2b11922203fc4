-- The visitor side: survey behaviour, partial answers, respondents, the funnel, opt-outs.

ALTER TABLE surveys ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';  -- JSON SurveySettings

ALTER TABLE responses ADD COLUMN respondent_id BLOB;     -- anonymous, per browser and site
ALTER TABLE responses ADD COLUMN trigger TEXT;           -- what opened the survey
ALTER TABLE responses ADD COLUMN referrer_origin TEXT;   -- origin only, never a path
ALTER TABLE responses ADD COLUMN contact_email TEXT;     -- only with consent choice `contact`
ALTER TABLE responses ADD COLUMN updated_at INTEGER;     -- unix ms of the last amendment
CREATE INDEX responses_by_respondent ON responses (site_id, respondent_id);

CREATE TABLE impressions (
    id         BLOB PRIMARY KEY NOT NULL,  -- generated on the device: a retry counts once
    org_id     BLOB NOT NULL REFERENCES organisations (id),
    site_id    BLOB NOT NULL REFERENCES sites (id),
    survey_id  BLOB NOT NULL REFERENCES surveys (id),
    kind       TEXT NOT NULL CHECK (kind IN ('shown', 'dismissed', 'answered')),
    trigger    TEXT,
    at         INTEGER NOT NULL             -- unix ms, UTC
);
CREATE INDEX impressions_by_site_time ON impressions (org_id, site_id, at);

CREATE TABLE opt_outs (
    site_id        BLOB NOT NULL REFERENCES sites (id),
    respondent_id  BLOB NOT NULL,
    opted_out      INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
    changed_at     INTEGER NOT NULL,
    PRIMARY KEY (site_id, respondent_id)
);
