-- Kefu relay schema, version 2: the customer-service workflow (queue and assignment, leave-a-message,
-- welcome and auto-close, notes, recall, ratings, block list, quick replies, search).

-- Per-site settings.
ALTER TABLE sites ADD COLUMN welcome TEXT;                                   -- system message on a new conversation
ALTER TABLE sites ADD COLUMN assignment TEXT NOT NULL DEFAULT 'manual';      -- manual | round_robin | least_busy
ALTER TABLE sites ADD COLUMN typing_preview INTEGER NOT NULL DEFAULT 1;      -- agents see visitors' drafts
ALTER TABLE sites ADD COLUMN business_hours TEXT;                            -- JSON, NULL = always open
ALTER TABLE sites ADD COLUMN auto_close_sec INTEGER NOT NULL DEFAULT 0;      -- 0 = never

-- Most open conversations an agent is given by automatic assignment.
ALTER TABLE agents ADD COLUMN capacity INTEGER NOT NULL DEFAULT 5;

ALTER TABLE conversations ADD COLUMN accepted_at INTEGER;                    -- first time an agent took it
ALTER TABLE conversations ADD COLUMN first_response_at INTEGER;              -- first agent message
ALTER TABLE conversations ADD COLUMN contact TEXT;                           -- JSON left with an offline message
ALTER TABLE conversations ADD COLUMN rating INTEGER;                         -- 1..5, once, after close
ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN rated_at INTEGER;
CREATE INDEX conversations_by_agent ON conversations (agent_id, status);

ALTER TABLE messages ADD COLUMN recalled_at INTEGER;                         -- body kept for audit

-- Internal notes: agents only, in their own numbering so visitors' seq stays gapless.
CREATE TABLE notes (
    conv       TEXT NOT NULL,
    nseq       INTEGER NOT NULL,
    sender     TEXT NOT NULL,
    cid        TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    author     TEXT,
    body       TEXT NOT NULL,
    after_seq  INTEGER NOT NULL,                                             -- the conversation's seq when written
    ts         INTEGER NOT NULL,
    PRIMARY KEY (conv, nseq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX notes_by_sender_cid ON notes (sender, cid);

CREATE TABLE quick_replies (
    id         TEXT PRIMARY KEY,
    site       TEXT,                                                         -- shared replies: the site, NULL = every site
    agent_id   TEXT,                                                         -- personal replies: the owner; NULL = shared
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    image_key  TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE blocks (
    id         TEXT PRIMARY KEY,
    site       TEXT NOT NULL,
    visitor_id TEXT,
    ip         TEXT,
    reason     TEXT,
    by_agent   TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX blocks_by_site ON blocks (site);

-- Full-text search over message bodies; trigram tokens find Chinese words inside sentences.
CREATE VIRTUAL TABLE messages_fts USING fts5(body, conv UNINDEXED, seq UNINDEXED, tokenize = 'trigram');
INSERT INTO messages_fts (body, conv, seq) SELECT body, conv, seq FROM messages WHERE body IS NOT NULL;
