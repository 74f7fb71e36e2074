-- The outbox is claimed by due time: a backlog paced into the future (a hot channel, a workspace
-- held by Slack's rate limit) is not walked by every claim, only reached when it falls due.
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE status = 'pending';
-- A message given its slot by the pacer as it was written keeps that place in its channel's
-- line when it comes back, as one put off at a claim does.
ALTER TABLE outbox ADD COLUMN paced BOOLEAN NOT NULL DEFAULT FALSE;
