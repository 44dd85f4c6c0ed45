"""Datasette's CSV made safe to open in a spreadsheet, as `monitor export` writes it: a cell a
spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+SUM(…)``, ``@…``) gets a leading ``'``
(``storage.export.neutralise``); ``?_bom=1`` starts the file with a UTF-8 byte-order mark, so
Excel reads Armenian, Cyrillic and Azerbaijani text.

The CSV is rewritten as it streams: whole records are parsed and written again, a record cut
between two chunks waits for its end.
"""

from __future__ import annotations

import csv
import io
import re

from media_monitor.storage.export import neutralise

BOM = "\ufeff".encode()
# A cell neutralise() may change: one starting (at a record's start or after a comma, quoted or
# not) with =, @, a tab, or + or - not followed by a whole number or UTC offset; or with a CR,
# which the CSV quotes (an unquoted CR ends the record). Records with none pass through as they
# came, unparsed.
_MAYBE_FORMULA = re.compile(
    r'(?:^|,)(?:"\r|"?(?:[=@\t]|[+-](?!(?:\d+(?:\.\d+)?|\d{2}:\d{2})(?:,|\r?\n|$))))', re.MULTILINE
)


def complete_records(buffer: bytes) -> int:
    """Length of the longest prefix of ``buffer`` made of whole CSV records (each ending with a
    newline outside quotes), ``buffer`` starting at a record's start. Quotes and newlines are
    single bytes in UTF-8, never inside a multi-byte character, so bytes are counted as they
    come: a newline ends a record when the quotes before it are even."""
    end = buffer.rfind(b"\n")
    while end >= 0 and buffer.count(b'"', 0, end) % 2:
        end = buffer.rfind(b"\n", 0, end)
    return end + 1


def neutralised_records(text: str) -> str:
    """CSV ``text`` (whole records) with each cell neutralised, written as Datasette writes CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for record in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([neutralise(cell) for cell in record])
    return out.getvalue()


class SafeCsvBody:
    """Feed it the bytes of a CSV body as they come; it gives back the safe bytes ready to send."""

    def __init__(self, bom: bool = False):
        self.pending = b""
        self.started = not bom

    def feed(self, chunk: bytes) -> bytes:
        self.pending += chunk
        end = complete_records(self.pending)
        ready, self.pending = self.pending[:end], self.pending[end:]
        return self._out(ready)

    def finish(self) -> bytes:
        ready, self.pending = self.pending, b""
        return self._out(ready)

    def _out(self, ready: bytes) -> bytes:
        text = ready.decode("utf-8", "replace")
        body = neutralised_records(text).encode() if _MAYBE_FORMULA.search(text) else ready
        if not self.started and body:
            self.started = True
            body = BOM + body
        return body


def safe_csv_send(send, bom: bool = False):
    """An ASGI ``send`` that passes a successful CSV response through ``SafeCsvBody`` (any other
    response as it is)."""
    body = None

    async def safe_send(message):
        nonlocal body
        if message["type"] == "http.response.start":
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            content_type = headers.get(b"content-type", b"")
            if message["status"] == 200 and content_type.startswith((b"text/plain", b"text/csv")):
                body = SafeCsvBody(bom)
                message = dict(
                    message, headers=[(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
                )
        elif message["type"] == "http.response.body" and body is not None:
            more = message.get("more_body", False)
            data = body.feed(message.get("body", b"")) + (b"" if more else body.finish())
            message = dict(message, body=data)
        await send(message)

    return safe_send
