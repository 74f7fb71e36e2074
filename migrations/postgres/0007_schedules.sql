-- Weekly reflection prompts. A person's slot is kept in local time (weekday, HH:MM, cadence,
-- optional time-zone override); the next firing is computed from it and stored in UTC so the
-- ticker finds what is due with one index range.
CREATE TABLE schedules (
    team_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    weekday         BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6), -- 0 = Monday
    local_time      TEXT NOT NULL,                                     -- HH:MM
    cadence         TEXT NOT NULL CHECK (cadence IN ('weekly', 'fortnightly', 'off')),
    tz              TEXT,           -- the person's override; NULL follows their Slack profile
    paused_until    TEXT,           -- YYYY-MM-DD: nothing is sent before this local date
    reflections     TEXT NOT NULL DEFAULT 'private' CHECK (reflections IN ('private', 'manager')),
    monthly_summary BOOLEAN NOT NULL DEFAULT TRUE,
    next_fire_at    BIGINT,
    next_local_date TEXT,           -- the local date the next firing belongs to
    last_local_date TEXT,
    snoozed         BOOLEAN NOT NULL DEFAULT FALSE, -- next_fire_at is a snooze, not the slot
    locked_until    BIGINT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- One row per prompt sent: the key makes a second prompt for one person and one local date
-- impossible, whatever replicas or restarts race; replies to the bot are matched against it.
CREATE TABLE prompts (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly')),
    local_date TEXT NOT NULL,
    sent_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id, kind, local_date)
);
CREATE INDEX prompts_recent ON prompts (team_id, user_id, sent_at);
