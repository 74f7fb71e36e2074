-- Tables of the Bolt peer. Prefixed "peer_" so they can never be mistaken for
-- (or silently reuse) Cairn's own kudos/outbox tables if both ever share a database.

CREATE TABLE IF NOT EXISTS peer_kudos (
    id          BIGSERIAL PRIMARY KEY,
    team_id     TEXT        NOT NULL,
    channel_id  TEXT        NOT NULL,
    giver_id    TEXT        NOT NULL,
    message     TEXT        NOT NULL,
    tags        TEXT[]      NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS peer_kudos_receivers (
    kudos_id    BIGINT NOT NULL REFERENCES peer_kudos (id) ON DELETE CASCADE,
    user_id     TEXT   NOT NULL,
    PRIMARY KEY (kudos_id, user_id)
);

CREATE TABLE IF NOT EXISTS peer_outbox (
    id          BIGSERIAL PRIMARY KEY,
    team_id     TEXT        NOT NULL,
    channel     TEXT        NOT NULL,
    text        TEXT        NOT NULL,
    status      TEXT        NOT NULL DEFAULT 'pending',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
