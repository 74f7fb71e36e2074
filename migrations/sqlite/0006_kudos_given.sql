-- A summary counts the kudos its subject gave in a period, by visibility: answered from this
-- index alone, instead of reading every kudos the person ever gave (benches/README.md,
-- summary_scale).
CREATE INDEX kudos_given ON kudos (team_id, giver, created_at, visibility);
