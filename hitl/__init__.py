"""Human in the loop: approval policy, approvals, decisions, audit. No graph, no HTTP."""
