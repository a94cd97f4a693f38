"""Benchmarks: scripts that print and save figures with the machine's context."""
