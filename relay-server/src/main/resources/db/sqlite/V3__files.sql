-- Kefu relay schema, version 3: files. Uploads kept by the relay itself (local mode), and a way to
-- find the conversation a file was sent in (who may download it).
CREATE TABLE files (
    key        TEXT PRIMARY KEY,
    name       TEXT,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    uploader   TEXT NOT NULL,                 -- visitor:site/id or agent:id
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX messages_by_file_key ON messages (json_extract(file, '$.key')) WHERE file IS NOT NULL;
