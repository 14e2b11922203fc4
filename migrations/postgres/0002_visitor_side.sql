-- The visitor side: survey behaviour, partial answers, respondents, the funnel, opt-outs.

ALTER TABLE surveys ADD COLUMN settings JSONB NOT NULL DEFAULT '{}';

ALTER TABLE responses ADD COLUMN respondent_id UUID;
ALTER TABLE responses ADD COLUMN trigger TEXT;
ALTER TABLE responses ADD COLUMN referrer_origin TEXT;
ALTER TABLE responses ADD COLUMN contact_email TEXT;
ALTER TABLE responses ADD COLUMN updated_at TIMESTAMPTZ;
CREATE INDEX responses_by_respondent ON responses (site_id, respondent_id);

CREATE TABLE impressions (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations (id),
    site_id    UUID NOT NULL REFERENCES sites (id),
    survey_id  UUID NOT NULL REFERENCES surveys (id),
    kind       TEXT NOT NULL CHECK (kind IN ('shown', 'dismissed', 'answered')),
    trigger    TEXT,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX impressions_by_site_time ON impressions (org_id, site_id, at);

CREATE TABLE opt_outs (
    site_id        UUID NOT NULL REFERENCES sites (id),
    respondent_id  UUID NOT NULL,
    opted_out      BOOLEAN NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (site_id, respondent_id)
);
