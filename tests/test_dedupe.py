"""Near-duplicate detection: unit behaviour, and the labelled evaluation at the configured thresholds."""

from __future__ import annotations

import pytest

from media_monitor import settings
from media_monitor.samplesite.pairs import labelled_pairs
from media_monitor.storage.minhash import (
    NearDuplicateIndex,
    Signature,
    containment,
    shingles,
    signature,
)

TEXT = "\n".join(
    f"Paragraph {n} says that the peacekeepers left the base at dawn and drove north along the road." for n in range(8)
)


def test_shingles_stay_inside_paragraphs():
    reordered = "\n".join(reversed(TEXT.split("\n")))
    assert shingles(TEXT) == shingles(reordered)
    assert shingles("too short") == set()


def test_signature_survives_storage():
    sig = signature(TEXT)
    again = Signature.from_bytes(sig.to_bytes(), sig.shingles)
    assert again.jaccard(sig) == 1.0 and again.shingles == sig.shingles
    assert len(sig.to_bytes()) == 4 * 128


def test_containment_of_an_excerpt_is_high_and_of_another_text_low():
    excerpt = "\n".join(TEXT.split("\n")[:5])
    assert containment(signature(TEXT), signature(excerpt)) > 0.9
    other = "\n".join(
        f"Line {n}: the orchestra rehearsed a new symphony in the concert hall tonight." for n in range(8)
    )
    assert containment(signature(TEXT), signature(other)) < 0.1


def test_index_replaces_a_changed_text():
    index = NearDuplicateIndex(0.3, 0.6)
    index.add(1, signature(TEXT))
    other = "\n".join(
        f"Line {n}: the orchestra rehearsed a new symphony in the concert hall tonight." for n in range(8)
    )
    index.add(1, signature(other))
    assert index.best_match(signature(TEXT)) is None
    assert index.best_match(signature(other))[0] == 1


@pytest.fixture(scope="module")
def evaluation():
    """Every distinct text in one index, as in a real database; each pair's second text queried."""
    pairs = labelled_pairs()
    ids, sigs = {}, {}
    index = NearDuplicateIndex(settings.MONITOR_NEAR_LSH_THRESHOLD, settings.MONITOR_NEAR_CONTAINMENT)
    for pair in pairs:
        for text in (pair.a, pair.b):
            if text not in sigs:
                sigs[text] = signature(text)
        if pair.a not in ids:
            ids[pair.a] = len(ids) + 1
            index.add(ids[pair.a], sigs[pair.a])
    outcomes = []
    for pair in pairs:
        # A second text already in the index is not its own match (an identical copy is).
        match = index.best_match(sigs[pair.b], exclude=ids.get(pair.b) if pair.b != pair.a else None)
        outcomes.append((pair, match is not None and match[0] == ids[pair.a]))
    return outcomes


def test_copies_sharing_70_percent_are_found_with_high_precision(evaluation):
    tp = sum(found and pair.copy for pair, found in evaluation)
    fp = sum(found and not pair.copy for pair, found in evaluation)
    fn = sum(not found and pair.copy for pair, found in evaluation)
    assert tp / (tp + fp) >= 0.99
    assert tp / (tp + fn) >= 0.95
    assert {pair.kind for pair, _ in evaluation if pair.copy} >= {
        "new headline",
        "dropped paragraphs",
        "reordered paragraphs",
        "added intro",
        "added byline",
        "truncated, continue reading",
        "boilerplate around",
        "70% kept, 30% local material",
    }


def test_no_false_merge_of_different_reports(evaluation):
    merged = [pair.kind for pair, found in evaluation if found and not pair.copy]
    assert merged == []
    assert sum(pair.same_day for pair, _ in evaluation) >= 10  # the hard ones are in the set
    assert {"daily roundups", "follow-up", "different reports"} <= {pair.kind for pair, _ in evaluation}


def test_bulk_loaded_and_added_signatures_are_both_found():
    texts = {
        n: "\n".join(f"Story {n} paragraph {p}: " + " ".join(f"w{n}x{p}x{k}" for k in range(12)) for p in range(4))
        for n in range(1, 50)
    }
    index = NearDuplicateIndex(0.3, 0.6)
    index.load([(n, signature(t).shingles, signature(t).to_bytes()) for n, t in texts.items() if n < 40])
    for n in range(40, 50):
        index.add(n, signature(texts[n]))
    for n in (3, 39, 45):
        excerpt = "\n".join(texts[n].split("\n")[:3])
        assert index.best_match(signature(excerpt))[0] == n


def test_a_signature_computed_by_a_worker_reaches_the_writer_unchanged():
    from media_monitor.items import ArticleItem
    from media_monitor.scaleout.distributed import decode_item, encode_item

    text = "\n".join(
        f"Paragraph {n}: Russian peacekeepers leave Karabakh, convoy number {n} crossed." for n in range(9)
    )
    item = ArticleItem(outlet="o", url="https://news.example/a", text=text, text_signature=signature(text))
    received = decode_item(encode_item(item))["text_signature"]
    assert received.shingles == item["text_signature"].shingles
    assert received.to_bytes() == item["text_signature"].to_bytes()
