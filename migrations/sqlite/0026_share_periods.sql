-- Share links now count in fixed four-week periods in UTC, whatever the organisation's zone:
-- a zone that could change would make two partitions whose views differ by less than a
-- period (see app/src/report/share.rs). The setting is gone.
ALTER TABLE organisations DROP COLUMN share_time_zone;
