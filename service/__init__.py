"""The composition root: CLI, worker tasks and demo, wiring api, graph and runtime together."""
