-- Full-text search ranks its candidates among the rows holding two of the query's words or
-- one in the heading or title (rag/fulltext.py); this index finds the second kind. The
-- expression must stay the one rag/fulltext.py queries and rag/index.py rebuilds.
CREATE INDEX IF NOT EXISTS kb_chunks_heading_words ON kb_chunks
    USING gin (to_tsvector('english'::regconfig, heading_path || ' ' || title));
