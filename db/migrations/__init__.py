"""Versioned schema migrations: ``mNNNN_name.py`` modules, each with ``migrate(db)``.

They run in order, once each, recorded in ``schema_migrations``. A schema change is a new
module here, never an edit of one that has shipped.
"""
