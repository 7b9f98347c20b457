"""Database plumbing: declarative base, engine factory, session lifecycle, migrations."""
