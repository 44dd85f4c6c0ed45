"""Item pipelines, one stage a module, in ``ITEM_PIPELINES`` order: normalise -> window ->
topic -> text signature -> dedupe -> store.

Each stage counts what it drops or changes in the crawler's stats under ``monitor/`` and
names the outcome on the item it drops (``UrlMemory`` remembers it); the store stage turns the
counts into the run's record when the spider closes. ``stage`` holds what the stages share.
"""
