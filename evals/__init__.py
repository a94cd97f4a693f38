"""The offline eval harness. Not built yet: a later issue."""
