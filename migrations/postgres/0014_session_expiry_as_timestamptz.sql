-- One time encoding: session expiry was the one time column held as unix seconds; like every
-- other it is now a timestamptz. Rows are kept, converted in place.
ALTER TABLE sessions ALTER COLUMN expires_at TYPE timestamptz USING to_timestamp(expires_at);
