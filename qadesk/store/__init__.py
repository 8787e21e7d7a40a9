"""The qadesk store: SQLAlchemy 2 over SQLite (or PostgreSQL). No Qt here."""

from qadesk.store.engine import Store, default_data_dir, open_store

__all__ = ["Store", "default_data_dir", "open_store"]
