-- Evidence that comes from a Slack message (a reply to a prompt) names it, so a redelivered
-- event records it once. NULLs (evidence logged by command) never collide.
ALTER TABLE evidence ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX evidence_source ON evidence (team_id, source_key);
