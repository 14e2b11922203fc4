-- Every index is paid for on every answer written. Verbatims are listed newest first through
-- responses_by_site_time (org_id, site_id, received_at) read backwards, so this one only cost.
DROP INDEX responses_by_site_received;

-- Most answers carry no comment: give them no search vector and keep them out of the index.
DROP INDEX responses_comment_search;
ALTER TABLE responses DROP COLUMN comment_search;
ALTER TABLE responses ADD COLUMN comment_search TSVECTOR GENERATED ALWAYS AS (
    CASE WHEN comment IS NULL OR comment = '' THEN NULL
         ELSE to_tsvector('simple', comment) END
) STORED;
CREATE INDEX responses_comment_search ON responses USING GIN (comment_search)
    WHERE comment_search IS NOT NULL;
