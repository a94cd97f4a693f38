"""τ-bench retail seed data (users, orders, products) and the dev tasks that test it."""
