-- Attributes (`domain::Attributes`): the keys a site takes (`plan,tier`) and how many distinct
-- values each keeps; what each answer and event carried, as `,plan=pro,tier=gold,`; and the
-- values each key of a site has taken so far, which the cap counts (past it: "other").
ALTER TABLE sites ADD COLUMN attribute_keys TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN attribute_cap INTEGER NOT NULL DEFAULT 50;
ALTER TABLE responses ADD COLUMN attributes TEXT;
ALTER TABLE impressions ADD COLUMN attributes TEXT;
CREATE TABLE site_attribute_values (
    site_id BLOB NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (site_id, key, value)
) WITHOUT ROWID;
