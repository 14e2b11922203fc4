-- Identification with consent (`domain::Identification`): the site's user and account ids of
-- an answer, kept only as HMAC-SHA256 keyed by the site's own secret, made when first needed
-- (`tokens::identity_hash`), and only under the granted `identify` choice.
ALTER TABLE sites ADD COLUMN identity_secret TEXT;
ALTER TABLE responses ADD COLUMN user_hash TEXT;
ALTER TABLE responses ADD COLUMN account_hash TEXT;
-- A data-subject request finds a user's answers; the accounts table reads a site's range.
CREATE INDEX responses_by_user ON responses (site_id, user_hash) WHERE user_hash IS NOT NULL;
CREATE INDEX responses_with_account ON responses (site_id, received_at)
    WHERE account_hash IS NOT NULL;
