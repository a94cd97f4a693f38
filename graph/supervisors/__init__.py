"""Domain supervisors: one module per domain declares what it handles (`DOMAIN`); one
factory (`base.build_domain_graph`) builds every supervisor from such a declaration."""
