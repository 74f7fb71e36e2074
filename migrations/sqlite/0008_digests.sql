-- Digests are prompts too: once per manager and review date, once per channel and week.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE prompts_new (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly', 'review_digest', 'team_digest')),
    local_date TEXT NOT NULL,
    sent_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id, kind, local_date)
);
INSERT INTO prompts_new (team_id, user_id, kind, local_date, sent_at)
    SELECT team_id, user_id, kind, local_date, sent_at FROM prompts;
DROP TABLE prompts;
ALTER TABLE prompts_new RENAME TO prompts;
CREATE INDEX prompts_recent ON prompts (team_id, user_id, sent_at);
