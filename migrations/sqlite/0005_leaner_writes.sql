-- Every index is paid for on every answer written. Verbatims are listed newest first through
-- responses_by_site_time (org_id, site_id, received_at) read backwards, so this one only cost.
DROP INDEX responses_by_site_received;
