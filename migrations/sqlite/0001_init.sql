-- Times are unix milliseconds (BIGINT) in both backends so the SQL stays shared.

CREATE TABLE workspaces (
    team_id       TEXT PRIMARY KEY,
    team_domain   TEXT,
    first_seen_at BIGINT NOT NULL
);

CREATE TABLE kudos (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id           TEXT NOT NULL,
    giver             TEXT NOT NULL,
    text              TEXT NOT NULL,
    channel_id        TEXT,
    permalink         TEXT,
    visibility        TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('private', 'manager', 'public')),
    framework_id      TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX kudos_by_team ON kudos (team_id, id);
CREATE INDEX kudos_by_giver ON kudos (team_id, giver, id);

CREATE TABLE kudos_recipients (
    kudos_id BIGINT NOT NULL REFERENCES kudos (id) ON DELETE CASCADE,
    team_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (kudos_id, user_id)
);
CREATE INDEX kudos_recipients_by_user ON kudos_recipients (team_id, user_id, kudos_id);

CREATE TABLE kudos_tags (
    kudos_id BIGINT NOT NULL REFERENCES kudos (id) ON DELETE CASCADE,
    team_id  TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('competency', 'multiplier')),
    tag_id   TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (kudos_id, kind, tag_id)
);

CREATE TABLE people (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    name       TEXT,
    real_name  TEXT,
    tz         TEXT,
    is_bot     BOOLEAN NOT NULL DEFAULT FALSE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE slack_events (
    event_id    TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id      TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    channel      TEXT NOT NULL,
    text         TEXT NOT NULL,
    blocks       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   BIGINT NOT NULL,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    slack_ts     TEXT,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    UNIQUE (team_id, dedupe_key)
);
-- Claims scan pending rows in id order; rows leave the index once sent or dead, and a claim
-- (which changes no indexed column) can update in place.
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
