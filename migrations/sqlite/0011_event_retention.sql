-- Processed event ids are pruned by age (CAIRN_EVENT_RETENTION_DAYS): the scheduler deletes the oldest first.
CREATE INDEX slack_events_received ON slack_events (received_at);
