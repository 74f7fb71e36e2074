-- The outbox carries every kind of Slack call, not only posts: `action` says which, with what
-- it needs beyond channel, text and blocks (a message's ts, a reaction's name, a packet's files).
-- `again` marks a coalesced row (App Home, a message update) that changed while it was being
-- delivered: it stays pending and goes out once more with the newest content.
ALTER TABLE outbox ADD COLUMN action TEXT NOT NULL DEFAULT '{"kind":"post"}';
ALTER TABLE outbox ADD COLUMN again BOOLEAN NOT NULL DEFAULT FALSE;
