"""Full-text and typo-tolerant search over posts, users and tags: one service, a PostgreSQL
backend (tsvector, pg_trgm) and a SQLite backend (FTS5), one results contract."""
