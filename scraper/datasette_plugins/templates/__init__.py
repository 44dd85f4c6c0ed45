"""Jinja templates for Datasette (a package only so that setuptools ships the *.html files)."""
