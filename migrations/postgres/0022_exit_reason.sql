-- The exit-reason question of a survey (JSON, `domain::ReasonQuestion`: options per band and
-- their labels per language; `{}`: not asked), and the reason an answer gave (an option's key).
ALTER TABLE surveys ADD COLUMN reason TEXT NOT NULL DEFAULT '{}';
ALTER TABLE responses ADD COLUMN reason TEXT;
