-- Alerts with rules: a webhook's rules (JSON, `domain::AlertRules`: bands, scores, theme,
-- segment, batching) and, when it batches, the time before which it sends no other message.
ALTER TABLE webhooks ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
ALTER TABLE webhooks ADD COLUMN quiet_until INTEGER;
-- A delivery names its answer: the message is made from the answer as it stands when sent
-- (its comment, its latest score, contact only with consent), and nothing is sent for an
-- answer erased meanwhile. Why one was not sent (a rule did not admit it) is kept.
ALTER TABLE webhook_deliveries ADD COLUMN answer_id BLOB;
ALTER TABLE webhook_deliveries ADD COLUMN skipped TEXT;
CREATE INDEX webhook_deliveries_by_answer ON webhook_deliveries (answer_id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
