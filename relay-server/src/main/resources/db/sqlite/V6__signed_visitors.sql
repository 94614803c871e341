-- A signed-in user (visitors.user_id, signed by the site) is one visitor on every device: the first
-- row bound to the user (by first_seen, then id) is its canonical visitor. Every hello that signs the
-- user in looks it up, so the lookup is indexed. Rows bound to no user are left out of the index.
CREATE INDEX visitors_by_user ON visitors (site, user_id, first_seen, id) WHERE user_id IS NOT NULL;
