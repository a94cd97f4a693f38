"""The offline eval harness: datasets (JSONL + JSON Schema), a runner that drives each case
through the real service on a tenant of its own, metrics, reports, a release gate, compare."""
