"""Datasette over the database (``app.make_datasette``), with the project's plugin and
templates; configured by ``db/metadata.yaml``."""
