-- The knowledge base: documents, their chunks (full text + embedding), and the record of
-- which embedder made the vectors. The embedding column gets its dimension (and its HNSW
-- index) from the first ingestion or `opsgraph kb reindex` (rag/index.py): HNSW needs a
-- fixed dimension, and the dimension depends on the configured embedder.
CREATE TABLE kb_documents (
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    document_id   uuid PRIMARY KEY,
    collection    text NOT NULL,
    source        text NOT NULL,
    title         text NOT NULL,
    media_type    text NOT NULL,
    content_hash  text NOT NULL,
    byte_size     bigint NOT NULL,
    chunk_count   integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX kb_documents_source ON kb_documents (tenant_id, collection, source);

CREATE TABLE kb_chunks (
    chunk_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     text NOT NULL,
    collection    text NOT NULL,
    document_id   uuid NOT NULL REFERENCES kb_documents (document_id) ON DELETE CASCADE,
    position      integer NOT NULL,
    title         text NOT NULL,
    heading_path  text NOT NULL DEFAULT '',
    content       text NOT NULL,
    search_text   tsvector GENERATED ALWAYS AS (
                      setweight(to_tsvector('english'::regconfig, heading_path), 'A')
                      || setweight(to_tsvector('english'::regconfig, title), 'B')
                      || to_tsvector('english'::regconfig, content)) STORED,
    embedding     vector,
    UNIQUE (document_id, position)
);

CREATE INDEX kb_chunks_search_text ON kb_chunks USING gin (search_text);
CREATE INDEX kb_chunks_scope ON kb_chunks (tenant_id, collection);

-- One row: the vector space every stored embedding lives in (the column is shared by all
-- tenants, so the embedder is too).
CREATE TABLE kb_index (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    embedder      text NOT NULL,
    dimension     integer NOT NULL CHECK (dimension > 0),
    indexed_at    timestamptz NOT NULL DEFAULT now()
);
