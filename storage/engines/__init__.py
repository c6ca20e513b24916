"""The two engines behind :class:`storage.database.Database`: every difference between SQLite
and PostgreSQL lives in these two modules."""
