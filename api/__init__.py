"""The HTTP surface: one router per resource, built by `create_app`."""
