-- Which Enterprise Grid organisation each workspace belongs to. An org-wide install stores one
-- installation keyed by the organisation's id (E…); its token speaks for every workspace listed
-- here under that organisation. Learned from Slack's requests (they carry both ids), from
-- auth.teams.list and from team_access_granted / team_access_revoked.
CREATE TABLE workspace_enterprises (
    team_id       TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    seen_at       BIGINT NOT NULL
);
CREATE INDEX workspace_enterprises_by_enterprise ON workspace_enterprises (enterprise_id);
