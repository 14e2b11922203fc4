-- Saved themes: a named set of terms a member keeps ("checkout": checkout, payment, card). An
-- answer whose comment holds one of the terms (stemmed in the comment's language) is tagged with
-- the theme when it is counted, and past answers by a backfill (`theme_backfills`). Themes are
-- a segment dimension (`theme`) counted in the aggregates like the others.
CREATE TABLE saved_themes (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organisations (id),
    site_id     BLOB NOT NULL REFERENCES sites (id),
    name        TEXT NOT NULL,
    terms       TEXT NOT NULL,     -- one term per line, as the member wrote them
    created_at  INTEGER NOT NULL,  -- unix milliseconds
    updated_at  INTEGER NOT NULL,
    UNIQUE (site_id, name)
);

-- The saved themes an answer is counted under, as `,checkout,payment,` (names hold no comma);
-- NULL for none, and for an answer not counted yet. It goes with the answer on erasure and
-- retention, like every other part of it.
ALTER TABLE responses ADD COLUMN themes TEXT;

-- A site whose themes changed and whose counted answers are being tagged anew, newest first:
-- the cursor is the last answer done. Saving or deleting a theme starts the walk over.
CREATE TABLE theme_backfills (
    site_id      BLOB PRIMARY KEY NOT NULL REFERENCES sites (id),
    org_id       BLOB NOT NULL REFERENCES organisations (id),
    after_at     INTEGER,  -- received time of the last answer done (NULL: none yet)
    after_id     BLOB,
    started_at   INTEGER NOT NULL
);
