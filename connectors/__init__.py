"""Systems of record: the local store, Saleor, the email outbox, and the side-effect ledger."""
