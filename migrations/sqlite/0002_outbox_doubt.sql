-- When a delivery's outcome is unknown (the worker died holding the lease, or Slack timed out
-- or failed with a 5xx after perhaps posting), the next attempt first looks in the channel for
-- a copy posted since `doubt_since`, so a message is never posted twice.
ALTER TABLE outbox ADD COLUMN claimed_at BIGINT;
ALTER TABLE outbox ADD COLUMN doubt_since BIGINT;
