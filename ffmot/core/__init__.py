"""The domain core: battery, norms, scoring, ages and units. No Qt, no SQLAlchemy."""
