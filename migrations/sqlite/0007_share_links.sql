-- Read-only share links to an aggregated report; the token is stored only as a hash.
CREATE TABLE share_links (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organisations (id),
    site_id     BLOB NOT NULL REFERENCES sites (id),
    token_hash  TEXT NOT NULL UNIQUE,
    days        INTEGER NOT NULL CHECK (days BETWEEN 1 AND 3660),  -- the last N days, live
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX share_links_by_org ON share_links (org_id, created_at);

-- Groups with fewer answers than this are never shown through a share link.
ALTER TABLE organisations ADD COLUMN share_k INTEGER NOT NULL DEFAULT 10 CHECK (share_k >= 2);
