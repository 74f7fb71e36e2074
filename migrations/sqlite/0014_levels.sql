-- Where the org chart places a person in the framework (`track`, `level` columns), and the
-- history of it: each change adds a row, so a summary of an earlier period reads the evidence
-- against the level held then, and a promotion rewrites nothing.
ALTER TABLE people ADD COLUMN org_track TEXT;
ALTER TABLE people ADD COLUMN org_level TEXT;
CREATE TABLE level_history (
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    track   TEXT,
    level   TEXT,
    since   BIGINT NOT NULL
);
CREATE INDEX level_history_by_person ON level_history (team_id, user_id, since);

-- A manager's team view is a look at each report, audited like a summary; the review page will
-- be looked at from the web. SQLite changes a CHECK by rebuilding the table.
CREATE TABLE summary_views_new (
    team_id   TEXT NOT NULL,
    subject   TEXT NOT NULL,
    -- A Slack user id, `api` for the JSON API's token, or `operator` for `cairn export`.
    viewer    TEXT NOT NULL,
    what      TEXT NOT NULL CHECK (what IN ('summary', 'packet', 'evidence', 'team')),
    via       TEXT NOT NULL CHECK (via IN ('slack', 'api', 'cli', 'web')),
    viewed_at BIGINT NOT NULL
);
INSERT INTO summary_views_new (team_id, subject, viewer, what, via, viewed_at)
    SELECT team_id, subject, viewer, what, via, viewed_at FROM summary_views;
DROP TABLE summary_views;
ALTER TABLE summary_views_new RENAME TO summary_views;
CREATE INDEX summary_views_by_subject ON summary_views (team_id, subject, viewed_at);
