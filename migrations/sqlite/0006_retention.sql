-- Per organisation: raw answers (comments, context) older than this many days are purged;
-- the score aggregates keep counting them. NULL keeps answers until they are erased.
ALTER TABLE organisations ADD COLUMN retention_days INTEGER CHECK (retention_days > 0);
