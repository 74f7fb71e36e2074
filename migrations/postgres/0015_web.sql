-- The review pages in the browser. A session is found by the SHA-256 of its cookie's secret,
-- so a copy of the database opens no session; it ends after `idle` without a request.
CREATE TABLE web_sessions (
    id_hash      TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- Echoed in every form (CSRF); only this session's pages know it.
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_last_seen ON web_sessions (last_seen_at);

-- One-time sign-in links sent by `/growth web`, by the SHA-256 of their token: usable once,
-- before they expire, by the person they were sent to.
CREATE TABLE web_links (
    token_hash TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX web_links_by_expiry ON web_links (expires_at);
