-- Answers are counted into `response_aggregates` by a background task (server/src/counting.rs)
-- rather than in the transaction that stores them: under load, one count then covers thousands
-- of answers instead of one group-commit batch, the serial write path that acknowledges answers
-- gets shorter, and concurrent writers no longer queue on the same hot aggregate rows. An
-- answer waits here until it is counted. Report queries add the waiting answers to the
-- aggregates, so the figures stay exact.
CREATE TABLE uncounted_answers (
    response_id UUID PRIMARY KEY
);

-- Every insert path queues its answers, once per statement (no extra round trip).
CREATE FUNCTION queue_answers_for_counting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO uncounted_answers (response_id) SELECT id FROM added;
    RETURN NULL;
END $$;

CREATE TRIGGER responses_await_counting AFTER INSERT ON responses
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION queue_answers_for_counting();
