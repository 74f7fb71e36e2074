-- Evidence a person records about their own work (`/growth log`, the evidence modal, a message
-- saved with the "Save as evidence" shortcut). Private by default; the subject is the author.
CREATE TABLE evidence (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id           TEXT NOT NULL,
    subject           TEXT NOT NULL,
    author            TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('self', 'message', 'reflection', 'import')),
    text              TEXT NOT NULL,
    permalink         TEXT,
    visibility        TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'manager', 'public')),
    -- A canonical sphere level the author declared (self, team, group, org, external), if any.
    sphere            TEXT,
    framework_id      TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    occurred_at       BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX evidence_by_subject ON evidence (team_id, subject, occurred_at);

CREATE TABLE evidence_tags (
    evidence_id BIGINT NOT NULL REFERENCES evidence (id) ON DELETE CASCADE,
    team_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('competency', 'multiplier')),
    tag_id      TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (evidence_id, kind, tag_id)
);

-- People the work helped (mentioned in it): the multiplier's beneficiaries.
CREATE TABLE evidence_people (
    evidence_id BIGINT NOT NULL REFERENCES evidence (id) ON DELETE CASCADE,
    team_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (evidence_id, user_id)
);
