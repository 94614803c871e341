-- Kefu relay schema, version 1. Applied once; later versions add V2__..., never edit this file.
CREATE TABLE settings (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);

CREATE TABLE sites (
    key        TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    name       TEXT,
    origins    TEXT NOT NULL DEFAULT '[]',  -- JSON array of allowed origins; empty = any
    created_at INTEGER NOT NULL
);

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT,
    password_hash TEXT NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    sites         TEXT,                      -- JSON array of site keys; NULL = every site
    created_at    INTEGER NOT NULL
);

CREATE TABLE visitors (
    site       TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT,
    email      TEXT,
    attrs      TEXT,
    user_id    TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (site, id)
) WITHOUT ROWID;

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    site       TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    agent_id   TEXT,
    status     TEXT NOT NULL,                -- waiting | open | closed
    last_seq   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at  INTEGER
);
CREATE INDEX conversations_by_visitor ON conversations (site, visitor_id, created_at);
CREATE INDEX conversations_live ON conversations (status) WHERE status <> 'closed';

CREATE TABLE messages (
    conv      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    sender    TEXT NOT NULL,                 -- role:site/id for visitors, role:id for agents
    cid       TEXT NOT NULL,
    from_role TEXT NOT NULL,
    from_id   TEXT NOT NULL,
    from_name TEXT,
    kind      TEXT NOT NULL,
    body      TEXT,
    file      TEXT,                          -- JSON of the file reference, for image/file
    ts        INTEGER NOT NULL,
    PRIMARY KEY (conv, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_by_sender_cid ON messages (sender, cid);

CREATE TABLE reads (
    conv   TEXT NOT NULL,
    reader TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    ts     INTEGER NOT NULL,
    PRIMARY KEY (conv, reader)
) WITHOUT ROWID;
