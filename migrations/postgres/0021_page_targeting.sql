-- On which pages a survey may open: its include and exclude patterns (JSON list of strings,
-- `domain::PageTargeting`), `[]` for every page.
ALTER TABLE surveys ADD COLUMN pages TEXT NOT NULL DEFAULT '[]';
