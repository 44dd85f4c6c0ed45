"""Reading a sitemap, as gzip or plain XML, in bounded memory.

A sitemap is the one body the crawler decompresses itself (a ``.xml.gz`` file, served without
``Content-Encoding``): Scrapy's ``gunzip`` there had no size limit, so a 1 MB gzip bomb took a
crawl to gigabytes. ``XmlEntries`` inflates the body 64 kB at a time, stops with
``BodyTooLarge`` once more than the limit (``DOWNLOAD_MAXSIZE``, the download limit) has come
out, and feeds lxml's pull parser as it goes, handing over each child of the root element
and then dropping it: the parse holds one entry at a time, not the tree.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator

from lxml import etree

from media_monitor.crawling.failures import BodyTooLarge

CHUNK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def local_name(tag: object) -> str:
    """An element's tag without its namespace; '' for comments and processing instructions."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def body_chunks(body: bytes, limit: int) -> Iterator[bytes]:
    """The body in pieces, inflated when it is gzip; BodyTooLarge past ``limit`` bytes (0: none)."""
    if body[:2] != GZIP_MAGIC:
        if limit and len(body) > limit:
            raise BodyTooLarge(f"over the size limit: {len(body)} bytes, more than {limit}")
        yield from (body[start : start + CHUNK] for start in range(0, len(body), CHUNK))
        return
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size, data = 0, body
    while True:
        if inflate.eof:  # a gzip file may hold several members, one after the other
            data = inflate.unused_data
            if not data:
                return
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = inflate.decompress(data, CHUNK)
        except zlib.error:
            return  # a corrupt or cut stream: what came out is parsed, as before
        data = inflate.unconsumed_tail
        size += len(chunk)
        if limit and size > limit:
            raise BodyTooLarge(
                f"over the size limit once decompressed: {len(body)} bytes of gzip inflate past {limit} bytes"
            )
        if not chunk and not data and not inflate.eof:
            return  # the stream stops before its end
        yield chunk


class XmlEntries:
    """The children of an XML document's root, parsed as the body is read: iterate, then (or
    after the first entry) ``root`` is the root element's local name ('' when there is none)."""

    def __init__(self, body: bytes, limit: int):
        self.body, self.limit = body, limit
        self.root = ""

    def __iter__(self) -> Iterator[etree._Element]:
        depth = 0
        for event, element in _parse_events(self.body, self.limit):
            if event == "start":
                depth += 1
                if depth == 1:
                    self.root = local_name(element.tag)
                continue
            depth -= 1
            if depth == 1:
                yield element
                parent = element.getparent()
                if parent is not None:
                    parent.remove(element)  # entries already read hold no memory


def _parse_events(body: bytes, limit: int) -> Iterator[tuple[str, etree._Element]]:
    parser = etree.XMLPullParser(
        events=("start", "end"), recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    for chunk in body_chunks(body, limit):
        parser.feed(chunk)
        yield from parser.read_events()
    with contextlib.suppress(etree.XMLSyntaxError):  # nothing parsed at all
        parser.close()
    yield from parser.read_events()
