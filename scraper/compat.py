"""Every private API of a library that the project uses, each in one small function (or, for
langdetect, one base class) saying which version it was checked against and what it relies on.
tests/test_compat.py runs each entry against the installed library, so an upgrade that changes
one fails a test named after it, and the fix is made here.

Checked against Scrapy 2.19.0, scrapy-redis 0.9.1, datasketch 2.0.0, langdetect 1.0.9 and Datasette 0.65.5.

The pure layers (``normalise``, ``storage``) use this module, so it imports neither Scrapy nor
scrapy-redis: a function working on one of their objects is handed the object (a crawler, a
queue, Scrapy's ``Scraper`` class…). datasketch is imported inside the one function using it
(it brings in scipy). langdetect is imported here: ``LangdetectDetector`` subclasses its
detector, and langdetect loads no profile until asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils.ngram import NGram

# -- Scrapy -------------------------------------------------------------------------------------


def apply_crawler_settings(crawler: Any) -> None:
    """Build a crawler's components from its settings (add-ons, stats, log formatter, request
    fingerprinter, extensions; reactor checks) and freeze them, as ``Crawler.crawl()`` does,
    for a crawler that runs no engine.

    Relies on (Scrapy 2.19.0): ``Crawler._apply_settings()``, called by ``crawl()``; it does
    nothing once the settings are frozen.
    """
    crawler._apply_settings()


def create_spider(crawler: Any) -> Any:
    """The crawler's spider, made as ``Crawler.crawl()`` makes it, for a crawler that runs no
    engine: ``spidercls.from_crawler(crawler)``, which binds the spider to the crawler and its
    settings.

    Relies on (Scrapy 2.19.0): ``Crawler._create_spider(*args, **kwargs)``.
    """
    return crawler._create_spider()


_after_scrape_hooks: list[Callable[[Any, Any], None]] = []


def after_each_scrape(scraper_class: Any, hook: Callable[[Any, Any], None]) -> None:
    """Have Scrapy call ``hook(scraper, request)`` each time it has handled a downloaded response
    or failure: callback or errback run, the requests it yielded scheduled, its items through
    the item pipelines; also when that handling raised. A hook installed again is not added.

    ``scraper_class`` is ``scrapy.core.scraper.Scraper``, passed in so that this module does not
    import Scrapy.

    Relies on (Scrapy 2.19.0): the coroutine method ``Scraper._scrape(self, result, request)``
    does all of that handling for one response (or ``Failure``) and returns when it is done.
    """
    if hook in _after_scrape_hooks:
        return
    if not _after_scrape_hooks:
        original = scraper_class._scrape

        async def _scrape(self, result, request):
            try:
                await original(self, result, request)
            finally:
                for each in _after_scrape_hooks:
                    each(self, request)

        scraper_class._scrape = _scrape
    _after_scrape_hooks.append(hook)


def set_engine_heartbeat(engine_class: Any, seconds: float) -> None:
    """How often an idle engine looks for new requests (and fires ``spider_idle``) in engines
    opened from now on; Scrapy's is every 5 seconds.

    ``engine_class`` is ``scrapy.core.engine.ExecutionEngine``, passed in so that this module
    does not import Scrapy.

    Relies on (Scrapy 2.19.0): the class attribute ``ExecutionEngine._SLOT_HEARTBEAT_INTERVAL``,
    the interval of the slot's heartbeat ``LoopingCall``, read when the engine starts a spider.
    """
    engine_class._SLOT_HEARTBEAT_INTERVAL = seconds


def set_conditional_validators(policy: Any, request: Any, cached_response: Any) -> None:
    """Make ``request`` conditional on the cached response: ``If-None-Match`` from its ``ETag``,
    ``If-Modified-Since`` from its ``Last-Modified``, as Scrapy's RFC 2616 cache policy does
    when it revalidates a stale response.

    Relies on (Scrapy 2.19.0): ``RFC2616Policy._set_conditional_validators(request, cachedresponse)``.
    """
    policy._set_conditional_validators(request, cached_response)


def spider_classes(loader: Any) -> dict[str, Any]:
    """A spider loader's own dict of spider classes by name: a class added to it is one that
    ``list()`` names and ``load()`` returns.

    Relies on (Scrapy 2.19.0): ``SpiderLoader._spiders``, filled in ``__init__`` and read by
    ``list()``, ``load()`` and ``find_by_request()``.
    """
    return loader._spiders


def declared_encoding(response: Any) -> str | None:
    """The encoding a response declares, as Scrapy reads it: its BOM's, its HTTP header's or its
    ``<meta>``'s (or one forced with ``encoding=``); None when it declares none, or is not a
    text response.

    Relies on (Scrapy 2.19.0): ``TextResponse._declared_encoding()``.
    """
    method = getattr(response, "_declared_encoding", None)
    return method() if method else None


def bom_encoding(response: Any) -> str | None:
    """The encoding a response body's byte order mark names; None without one, or when the
    response is not a text response.

    Relies on (Scrapy 2.19.0): ``TextResponse._bom_encoding()``.
    """
    method = getattr(response, "_bom_encoding", None)
    return method() if method else None


# -- scrapy-redis -------------------------------------------------------------------------------


def encode_request(queue: Any, request: Any) -> bytes:
    """A request as a scrapy-redis queue stores it (its dict, by the queue's serializer).

    Relies on (scrapy-redis 0.9.1): ``scrapy_redis.queue.Base._encode_request(request)``.
    """
    return queue._encode_request(request)


def decode_request(queue: Any, data: bytes) -> Any:
    """The request a scrapy-redis queue stored as ``data`` (see ``encode_request``).

    Relies on (scrapy-redis 0.9.1): ``scrapy_redis.queue.Base._decode_request(encoded_request)``.
    """
    return queue._decode_request(data)


# -- datasketch ---------------------------------------------------------------------------------


def lsh_bands_and_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) of an LSH index over ``num_perm`` MinHash values for a Jaccard
    ``threshold``: those ``MinHashLSH(threshold, num_perm)`` chooses, false positives and false
    negatives weighted alike.

    Relies on (datasketch 2.0.0): ``datasketch.lsh._optimal_param(threshold, num_perm,
    false_positive_weight, false_negative_weight)``, returning ``(b, r)``.
    """
    from datasketch.lsh import _optimal_param  # here: datasketch brings in scipy

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


# -- Datasette ----------------------------------------------------------------------------------

# Datasette's table page: "select <columns> from <table> <where>order by <column>[ desc] limit <n>
# [offset <m>]" (a first page, or a view's page by offset), whose one-column order Datasette
# extends with the primary key only from the second page of a table on.
_TABLE_PAGE_SQL = re.compile(
    r"(?P<head>select .+? from (?P<table>\[[^\]]+\]|\w+) (?:where .+ )?order by "
    r"(?P<column>\[[^\]]+\]|\w+)(?: desc)?)(?P<tail> limit \d+(?: offset \d+)?)",
    re.S,
)


def tie_broken_table_page(sql: str, tie_breaks: dict[str, str]) -> str:
    """``sql`` with ``, <tie break>`` after its sort column when it is a Datasette table page
    ordered by one column of a table (or view) in ``tie_breaks`` (table name: its primary key,
    ascending, as Datasette's next pages order); any other SQL unchanged.

    Relies on (Datasette 0.65.5): ``TableView.data`` builds a page's SQL in the shape above, its
    first page ordered by the sort column alone, the next ones by ``<sort column>, <pk>`` with
    a ``_next`` token that expects that order (views: by offset, in the same order).
    """
    match = _TABLE_PAGE_SQL.fullmatch(sql.strip())
    if not match:
        return sql
    table, column = (name.strip("[]") for name in match.group("table", "column"))
    tie_break = tie_breaks.get(table)
    if tie_break is None or column == tie_break:
        return sql
    return f"{match.group('head')}, [{tie_break}]{match.group('tail')}"


# -- langdetect ---------------------------------------------------------------------------------
# Every use of langdetect beyond ``detect``/``detect_langs`` is here: the profiles it ships, the
# languages they cover, its n-gram table, its letter normalisation, its number of trials and the
# steps of its detection loop.


def langdetect_factory() -> DetectorFactory:
    """A detector factory with the profiles langdetect ships loaded (~0.5 s).

    Relies on (langdetect 1.0.9): ``langdetect.detector_factory.PROFILES_DIRECTORY`` and
    ``DetectorFactory.load_profile(directory)``.
    """
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory


def langdetect_languages(factory: DetectorFactory) -> list[str]:
    """The languages the factory's profiles cover, as langdetect names them ("en", "zh-cn").

    Relies on (langdetect 1.0.9): ``DetectorFactory.get_lang_list()``.
    """
    return list(factory.get_lang_list())


def ngram_probabilities(factory: DetectorFactory) -> dict[str, list[float]]:
    """The factory's n-gram table: each known n-gram's probability in each language, in the
    order of ``langdetect_languages``.

    Relies on (langdetect 1.0.9): ``DetectorFactory.word_lang_prob_map``.
    """
    return factory.word_lang_prob_map


def normalise_letter(letter: str) -> str:
    """langdetect's normalisation of one letter before it cuts n-grams (Latin punctuation to a
    space, CJK to its class representative …).

    Relies on (langdetect 1.0.9): ``langdetect.utils.ngram.NGram.normalize(ch)``.
    """
    return NGram.normalize(letter)


def set_trials(detector: Detector, trials: int) -> None:
    """How many random trials the detector runs (langdetect's 7).

    Relies on (langdetect 1.0.9): ``Detector.n_trial``, read by ``_detect_block``.
    """
    detector.n_trial = trials


class LangdetectDetector(Detector):
    """langdetect's ``Detector``, the four steps of its detection loop open to a subclass under
    public names: ``extract_ngrams``, ``init_probability``, ``update_lang_prob`` and
    ``normalize_prob``, each langdetect's own until overridden.

    Relies on (langdetect 1.0.9): ``Detector._detect_block()`` calls ``_extract_ngrams()`` once,
    then for each trial ``_init_probability()`` and, for each n-gram it draws,
    ``_update_lang_prob(prob, word, alpha)`` (changing ``prob`` in place), with
    ``_normalize_prob(prob)`` every fifth draw (normalising ``prob`` in place, returning its
    highest value); it reads ``prob[j]`` and ``len(prob)``. A subclass reads the text appended
    so far as ``self.text`` and the smoothing base as ``self.BASE_FREQ``.
    """

    def extract_ngrams(self) -> list[str]:
        """The n-grams of ``self.text`` that langdetect's profiles know, in text order."""
        return super()._extract_ngrams()

    def init_probability(self):
        """The probabilities a trial starts from: the prior map's, or each language alike."""
        return super()._init_probability()

    def update_lang_prob(self, prob, word: str, alpha: float) -> bool:
        """Multiply ``prob`` by the n-gram's probabilities (smoothed by ``alpha``); False for an
        n-gram the profiles do not know."""
        return super()._update_lang_prob(prob, word, alpha)

    def normalize_prob(self, prob) -> float:
        """Scale ``prob`` to sum to 1; its highest value."""
        return super()._normalize_prob(prob)

    # The names langdetect's loop calls.
    def _extract_ngrams(self):
        return self.extract_ngrams()

    def _init_probability(self):
        return self.init_probability()

    def _update_lang_prob(self, prob, word, alpha):
        return self.update_lang_prob(prob, word, alpha)

    def _normalize_prob(self, prob):
        return self.normalize_prob(prob)
