"""The knowledge base (pgvector + full text). Not built yet: a later issue."""
