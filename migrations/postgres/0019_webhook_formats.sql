-- A webhook's format: Farewell's signed JSON (`json`), or an incoming-webhook message for a chat
-- (`slack`, `teams`, `mattermost`), written when it is delivered.
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'json';
