"""The base layer: settings, database, migrations, the event inbox and the queue app."""
