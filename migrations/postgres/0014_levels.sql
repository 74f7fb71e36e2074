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
-- be looked at from the web.
ALTER TABLE summary_views DROP CONSTRAINT summary_views_what_check;
ALTER TABLE summary_views ADD CONSTRAINT summary_views_what_check
    CHECK (what IN ('summary', 'packet', 'evidence', 'team'));
ALTER TABLE summary_views DROP CONSTRAINT summary_views_via_check;
ALTER TABLE summary_views ADD CONSTRAINT summary_views_via_check
    CHECK (via IN ('slack', 'api', 'cli', 'web'));
