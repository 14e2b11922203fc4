-- Answers are counted into `response_aggregates` by a background task (server/src/counting.rs)
-- rather than in the transaction that stores them: under load, one count then covers thousands
-- of answers instead of one group-commit batch, and the serial write path that acknowledges
-- answers gets shorter. An answer waits here until it is counted. Report queries add the
-- waiting answers to the aggregates, so the figures stay exact.
--
-- Keyed by an increasing number, not by the answer's (random) id: a batch of new answers then
-- appends to one page instead of dirtying a page per answer. Lookups by answer id (amending a
-- score, erasing) scan the queue, which holds well under a second of answers.
CREATE TABLE uncounted_answers (
    seq          INTEGER PRIMARY KEY,
    response_id  BLOB NOT NULL
);

-- Every insert path queues its answers, in the same statement (no extra round trip).
CREATE TRIGGER responses_await_counting AFTER INSERT ON responses
BEGIN
    INSERT INTO uncounted_answers (response_id) VALUES (new.id);
END;
