"""The domain of qadesk in plain Python: no Qt, no SQLAlchemy."""
