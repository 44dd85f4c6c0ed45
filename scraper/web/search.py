"""A search box that forgives (registered by scraper/web/app.py).

- Every connection gets ``forgiving_fts(query)`` (storage/search.py: a query FTS5 rejects is
  retried with its words quoted; I and ı both ways for Azerbaijani and Turkish), also under
  Datasette's name ``escape_fts``, which its search box calls for a table whose ``searchmode``
  is not raw: ``Nagorno-Karabakh``, ``Russia's``, ``U.S.``, ``Karabakh:`` search for those words
  instead of failing, while ``OR``, ``NOT``, ``"a phrase"`` and ``prefix*`` keep their meaning.
  ``?_searchmode=raw`` hands the query to FTS5 untouched.
- A searched table page that fails (``?_searchmode=raw`` with a query FTS5 cannot read, a search
  over the time limit) keeps its search form above the error, holding what was typed.
- On a searched table page, the words found are highlighted in the title and text cells, and a
  link lists the same search best matches first (the search_articles query, ordered by FTS5's
  rank).
"""

from __future__ import annotations

import html
import json
import urllib.parse

from datasette import hookimpl

from media_monitor.storage.search import forgiving_query

RELEVANCE_QUERY = "search_articles"  # a canned query taking :term, best matches first


def forgiving_fts(query: str | None) -> str:
    """The SQL function: an empty query matches nothing (an empty phrase) instead of failing."""
    return forgiving_query(query or "") or '""'


@hookimpl(trylast=True)
def prepare_connection(conn):
    # trylast: registered after Datasette's own escape_fts, so this one replaces it.
    conn.create_function("forgiving_fts", 1, forgiving_fts, deterministic=True)
    conn.create_function("escape_fts", 1, forgiving_fts, deterministic=True)


# Marks, in the title and text cells, the words the search found: case, accents, I/ı/İ folded
# one character for one (so positions stay), a word matched at its start (as FTS5's prefix*).
HIGHLIGHT_SCRIPT = """
document.addEventListener('DOMContentLoaded', () => {
  const search = %(search)s;
  const fold = (s) => Array.from(s).map((c) => {
    if ('Iİı'.includes(c)) return 'i';
    const base = c.normalize('NFD')[0].toLowerCase();
    return base.length === 1 ? base : c;
  }).join('');
  const words = (search.match(/[\\p{L}\\p{N}_]+/gu) || [])
    .filter((w) => !['AND', 'OR', 'NOT', 'NEAR'].includes(w)).map(fold);
  if (!words.length) return;
  const pattern = new RegExp('(?<![\\\\p{L}\\\\p{N}_])(' + words.join('|') + ')', 'gu');
  for (const cell of document.querySelectorAll('td.col-title, td.col-text')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const text = node.nodeValue, folded = fold(text);
      if (folded.length !== text.length) continue;
      let last = 0, match, parts = [];
      pattern.lastIndex = 0;
      while ((match = pattern.exec(folded)) !== null) {
        parts.push(document.createTextNode(text.slice(last, match.index)));
        const mark = document.createElement('mark');
        mark.textContent = text.slice(match.index, match.index + match[0].length);
        parts.push(mark);
        last = match.index + match[0].length;
      }
      if (!parts.length) continue;
      parts.push(document.createTextNode(text.slice(last)));
      node.replaceWith(...parts);
    }
  }
  const form = document.querySelector('form.filters');
  if (form && %(relevance)s) {
    const link = document.createElement('a');
    link.href = %(relevance)s;
    link.className = 'monitor-relevance';
    link.textContent = 'Best matches first';
    form.querySelector('.search-row')?.append(' ', link);
  }
});
"""


@hookimpl
def extra_body_script(view_name, table, database, request, datasette):
    if view_name != "table" or request is None or not request.args.get("_search"):
        return None
    search = request.args["_search"]
    queries = datasette.metadata("queries", database=database) or {}
    relevance = ""
    if RELEVANCE_QUERY in queries and table in ("articles", "distinct_articles"):
        relevance = datasette.urls.query(database, RELEVANCE_QUERY) + "?" + urllib.parse.urlencode({"term": search})
    return HIGHLIGHT_SCRIPT % {"search": _js_string(search), "relevance": _js_string(relevance)}


def _js_string(value: str) -> str:
    # json.dumps leaves < as it is: a search holding </script> must not end the script.
    return json.dumps(value).replace("<", "\\u003c")


def search_form(path: str, pairs: list[tuple[str, str]]) -> str:
    """The search form of a table page at ``path`` with query ``pairs``: the search as typed, the
    page's filters kept (its raw mode and page token dropped)."""
    search = dict(pairs).get("_search", "")
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
        for key, value in pairs
        if key not in ("_search", "_searchmode", "_next")
    )
    return (
        f'<form class="filters monitor-search" action="{html.escape(path)}" method="get"><div class="search-row">'
        f'<label for="_search">Search:</label><input id="_search" type="search" name="_search" '
        f'value="{html.escape(search)}"> <input type="submit" value="Search">{hidden}</div></form>'
    )


def with_search_form(send, path: str, pairs: list[tuple[str, str]]):
    """An ASGI ``send`` that puts the search form into a searched table page's error page."""
    failed = False
    body = b""

    async def send_with_form(message):
        nonlocal failed, body
        if message["type"] == "http.response.start":
            content_type = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-type", b"")
            failed = message["status"] >= 400 and content_type.startswith(b"text/html")
            if failed:
                message = dict(
                    message, headers=[(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
                )
        elif message["type"] == "http.response.body" and failed:
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            page = body.decode("utf-8", "replace")
            page = page.replace("</h1>", "</h1>" + search_form(path, pairs), 1)
            message = dict(message, body=page.encode())
        await send(message)

    return send_with_form
