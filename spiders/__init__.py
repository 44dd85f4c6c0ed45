"""Spiders: generic base spiders (``base``) and, where an outlet needs one, a small subclass.

Every outlet of the sources file gets a spider named after it (see ``media_monitor.spiders.loader``);
a module here that defines a subclass of ``OutletSpider`` with the same ``name`` replaces the
generic one for that outlet.
"""
