-- Messages stored but not yet in the full-text index. A message's transaction adds its row here
-- (one append at the end of a small table) instead of writing a full-text segment of its own; the
-- store indexes what is listed in batches a few times a second and deletes the rows it indexed, in
-- one transaction. After a crash whatever is left is indexed on the next start.
CREATE TABLE search_backlog (
    conv TEXT NOT NULL,
    seq  INTEGER NOT NULL
);
