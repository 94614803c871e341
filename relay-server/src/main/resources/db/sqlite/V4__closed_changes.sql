-- Kefu relay schema, version 4: finding conversations closed or rated since a time
-- (GET /api/conversations?changedSince=), for agents' apps catching up after they were away.
CREATE INDEX conversations_by_closed_at ON conversations (closed_at);
CREATE INDEX conversations_by_rated_at ON conversations (rated_at);
