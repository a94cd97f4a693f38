"""The local store: retail users, orders and products as per-tenant documents in Postgres."""
