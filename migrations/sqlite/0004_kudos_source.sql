-- Where a kudos came from when it was not typed: a reaction (`reaction:CHANNEL:TS:REACTOR`), so
-- the same reaction records it once and removing the reaction can withdraw it.
ALTER TABLE kudos ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX kudos_source ON kudos (team_id, source_key);
