-- Each stored answer ran four foreign-key checks (organisation, site, survey, notice), and in
-- PostgreSQL each check is a locking lookup of the parent row (`FOR KEY SHARE`): about a third
-- of the database's cost of an answer (scripts/bench-ingest.sh: 19k -> 28k answers/s without
-- them). Ingest only ever writes ids it has just read from these tables, and nothing deletes
-- from them, so the check moves from every insert to the rare delete: an organisation, site,
-- survey that answers refer to cannot be deleted. (SQLite keeps its foreign keys: there
-- they cost nothing measurable.)
ALTER TABLE responses
    DROP CONSTRAINT responses_org_id_fkey,
    DROP CONSTRAINT responses_site_id_fkey,
    DROP CONSTRAINT responses_survey_id_fkey,
    DROP CONSTRAINT responses_notice_id_fkey;

CREATE FUNCTION refuse_deleting_what_answers_refer_to() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referred BOOLEAN;
BEGIN
    -- The table's own lock keeps a concurrent insert from sneaking an answer in meanwhile.
    LOCK TABLE responses IN SHARE MODE;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM responses WHERE %I = $1)', TG_ARGV[0])
        INTO referred USING OLD.id;
    IF referred THEN
        RAISE EXCEPTION 'answers still refer to % %', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER organisations_keep_answered BEFORE DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION refuse_deleting_what_answers_refer_to('org_id');
CREATE TRIGGER sites_keep_answered BEFORE DELETE ON sites
    FOR EACH ROW EXECUTE FUNCTION refuse_deleting_what_answers_refer_to('site_id');
CREATE TRIGGER surveys_keep_answered BEFORE DELETE ON surveys
    FOR EACH ROW EXECUTE FUNCTION refuse_deleting_what_answers_refer_to('survey_id');
-- Notice versions cannot be deleted at all (0001).
