-- The org chart (`cairn org import`, `POST /api/v1/org`) on the people Cairn knows from Slack.
-- A person without an org team is unplaced.
ALTER TABLE people ADD COLUMN org_name TEXT;
ALTER TABLE people ADD COLUMN email TEXT;
ALTER TABLE people ADD COLUMN org_team TEXT;
ALTER TABLE people ADD COLUMN org_group TEXT;
ALTER TABLE people ADD COLUMN manager_id TEXT;
ALTER TABLE people ADD COLUMN org_updated_at BIGINT;
CREATE INDEX people_by_manager ON people (team_id, manager_id);

-- The sphere of a kudos for each receiver, from the org chart when it was given: importing the
-- org chart later does not rewrite history. NULL (kudos from before this column) is unknown.
ALTER TABLE kudos_recipients ADD COLUMN sphere TEXT;

-- Who looked at whose summary or packet, so the person can see it.
CREATE TABLE summary_views (
    team_id   TEXT NOT NULL,
    subject   TEXT NOT NULL,
    -- A Slack user id, `api` for the JSON API's token, or `operator` for `cairn export`.
    viewer    TEXT NOT NULL,
    what      TEXT NOT NULL CHECK (what IN ('summary', 'packet', 'evidence')),
    via       TEXT NOT NULL CHECK (via IN ('slack', 'api', 'cli')),
    viewed_at BIGINT NOT NULL
);
CREATE INDEX summary_views_by_subject ON summary_views (team_id, subject, viewed_at);
