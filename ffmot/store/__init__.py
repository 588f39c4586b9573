"""The store: SQLAlchemy models, the database and its migrations, import, export and merge."""
