"""Selectors as the sources file writes them: CSS, or XPath when written ``xpath:…``."""

from __future__ import annotations

from lxml import etree
from parsel.csstranslator import HTMLTranslator


def compile_selector(selector: str) -> str:
    """The XPath of a CSS (or ``xpath:``) selector; raises ValueError when it does not compile."""
    if selector.startswith("xpath:"):
        xpath = selector[len("xpath:") :]
    else:
        try:
            xpath = HTMLTranslator().css_to_xpath(selector)
        except Exception as exc:  # cssselect raises several unrelated types
            raise ValueError(f"CSS selector {selector!r} does not compile: {exc}") from None
    try:
        etree.XPath(xpath)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"XPath {xpath!r} does not compile: {exc}") from None
    return xpath
