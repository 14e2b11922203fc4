-- Comment search newest first. The FTS rowid is now the answer's received time (unix ms) times
-- 2^20 plus its place among the answers received in the same millisecond, and a `site` column
-- holds a token of the answer's site. A search reads the index newest first, matches only its
-- site, and stops at a page: a common word no longer builds a set of every match in the
-- database (0.3 s at 10 M answers) before the newest page can be picked.
DROP TRIGGER responses_comment_search_insert;
DROP TRIGGER responses_comment_search_update;
DROP TRIGGER responses_comment_search_delete;
DROP TABLE comment_search;
DROP TABLE comment_search_keys;

CREATE TABLE comment_search_keys (
    rowid        INTEGER PRIMARY KEY,  -- received_at * 1048576 + its place in that millisecond
    response_id  BLOB NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE comment_search USING fts5 (
    site, comment, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO comment_search_keys (rowid, response_id)
SELECT received_at * 1048576 + ROW_NUMBER() OVER (PARTITION BY received_at ORDER BY id) - 1, id
FROM responses WHERE comment IS NOT NULL AND comment <> '';
INSERT INTO comment_search (rowid, site, comment)
SELECT k.rowid, 's' || lower(hex(r.site_id)), r.comment
FROM comment_search_keys k JOIN responses r ON r.id = k.response_id ORDER BY k.rowid;

-- The next free key of the answer's millisecond (over a million answers in one millisecond
-- would spill into the next: sorted a millisecond late, still found).
CREATE TRIGGER responses_comment_search_insert AFTER INSERT ON responses
WHEN new.comment IS NOT NULL AND new.comment <> ''
BEGIN
    INSERT INTO comment_search_keys (rowid, response_id)
    SELECT COALESCE(MAX(rowid) + 1, new.received_at * 1048576), new.id FROM comment_search_keys
    WHERE rowid >= new.received_at * 1048576 AND rowid < (new.received_at + 1) * 1048576;
    INSERT INTO comment_search (rowid, site, comment)
    SELECT rowid, 's' || lower(hex(new.site_id)), new.comment
    FROM comment_search_keys WHERE response_id = new.id;
END;

CREATE TRIGGER responses_comment_search_update AFTER UPDATE OF comment ON responses
BEGIN
    DELETE FROM comment_search
        WHERE rowid = (SELECT rowid FROM comment_search_keys WHERE response_id = old.id);
    INSERT INTO comment_search_keys (rowid, response_id)
    SELECT next_key, new.id FROM (
        SELECT COALESCE(MAX(rowid) + 1, new.received_at * 1048576) AS next_key FROM comment_search_keys
        WHERE rowid >= new.received_at * 1048576 AND rowid < (new.received_at + 1) * 1048576
    )
    WHERE new.comment IS NOT NULL AND new.comment <> ''
      AND NOT EXISTS (SELECT 1 FROM comment_search_keys WHERE response_id = new.id);
    INSERT INTO comment_search (rowid, site, comment)
    SELECT rowid, 's' || lower(hex(new.site_id)), new.comment FROM comment_search_keys
    WHERE response_id = new.id AND new.comment IS NOT NULL AND new.comment <> '';
END;

CREATE TRIGGER responses_comment_search_delete AFTER DELETE ON responses
BEGIN
    DELETE FROM comment_search
        WHERE rowid = (SELECT rowid FROM comment_search_keys WHERE response_id = old.id);
    DELETE FROM comment_search_keys WHERE response_id = old.id;
END;
