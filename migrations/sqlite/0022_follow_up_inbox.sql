-- The follow-up inbox: answers whose visitor agreed to be contacted, worked by the team.
-- An answer has no row until someone acts on it (it is then "new", due after the organisation's
-- `follow_up_hours`); its notes and replies go with it when it is erased (ON DELETE CASCADE).
ALTER TABLE organisations ADD COLUMN follow_up_hours INTEGER NOT NULL DEFAULT 48;

CREATE TABLE follow_ups (
    response_id       BLOB PRIMARY KEY NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    org_id            BLOB NOT NULL REFERENCES organisations (id),
    status            TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'resolved')),
    assignee_id       BLOB REFERENCES users (id),
    due_at            INTEGER,  -- unix milliseconds; NULL: follow_up_hours after the answer
    first_contact_at  INTEGER,  -- unix milliseconds: the first reply, or "contacted" set by hand
    last_mail_at      INTEGER,  -- unix milliseconds: the last reply sent by SMTP (one a minute)
    updated_at        INTEGER NOT NULL
);

-- Internal notes and the replies sent (by the member's mail app or by SMTP).
CREATE TABLE follow_up_entries (
    id           BLOB PRIMARY KEY NOT NULL,
    response_id  BLOB NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    org_id       BLOB NOT NULL REFERENCES organisations (id),
    author_id    BLOB REFERENCES users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('note', 'mailto', 'smtp')),
    subject      TEXT,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX follow_up_entries_by_response ON follow_up_entries (response_id, created_at);

-- The inbox and the dashboard's "loop closed" read only answers that left an address (an
-- address is kept only with the contact choice granted): the inbox newest first, and a
-- site's detractors counted from the index alone.
CREATE INDEX responses_to_follow_up ON responses (org_id, received_at)
    WHERE contact_email IS NOT NULL;
CREATE INDEX responses_to_follow_up_by_site ON responses (org_id, site_id, received_at, score)
    WHERE contact_email IS NOT NULL;
-- The first contacts of an organisation's answers (few: those someone acted on).
CREATE INDEX follow_ups_contacted ON follow_ups (org_id, first_contact_at)
    WHERE first_contact_at IS NOT NULL;
