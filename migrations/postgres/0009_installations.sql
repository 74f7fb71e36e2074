-- Workspaces that installed Cairn through Slack's OAuth flow, one row per team. The bot token
-- is stored sealed (AES-256-GCM under CAIRN_ENCRYPTION_KEY, bound to the team id); the key is
-- never in the database.
CREATE TABLE installations (
    team_id           TEXT PRIMARY KEY,
    enterprise_id     TEXT,
    app_id            TEXT,
    bot_user_id       TEXT,
    bot_token_sealed  TEXT NOT NULL, -- v1.<key id>.<nonce>.<ciphertext>
    scopes            TEXT,          -- comma-separated, as Slack grants them
    installer_user_id TEXT,
    installed_at      BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX installations_enterprise ON installations (enterprise_id) WHERE enterprise_id IS NOT NULL;

-- OAuth `state` values handed out by /slack/install: each is accepted once, before it expires.
CREATE TABLE oauth_states (
    nonce      TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
