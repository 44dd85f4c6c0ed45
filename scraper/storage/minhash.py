"""Near-duplicate texts: the same wire story republished with edits.

Each text becomes a set of word shingles (``SHINGLE_WORDS`` consecutive words of a paragraph,
folded) and a MinHash signature of that set. An LSH index over the signatures returns, without
comparing pairs, the stored texts likely to share many shingles; each candidate is then scored
by *containment*: the share of the shorter text's shingles found in the longer one, estimated
from the MinHash Jaccard and the two set sizes. Containment, not Jaccard, because a copy is
often a truncated or extended version of its source: a 60% excerpt is all inside the original.

Thresholds are settings (MONITOR_NEAR_*); docs/dedupe.md gives the measurements behind them.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from media_monitor import compat
from media_monitor.normalise.text import comparison_key

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch 2's hashing: 32-bit values, stored as four bytes each


@dataclass(frozen=True)
class Signature:
    hashvalues: np.ndarray  # NUM_PERM uint32 MinHash values
    shingles: int  # size of the shingle set

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes, shingles: int) -> Signature:
        return cls(np.frombuffer(blob, dtype="<u4").astype(np.uint32), shingles)

    def as_json(self) -> dict:
        """For a JSON message: the hash values as base64 of their bytes."""
        return {"shingles": self.shingles, "minhash": base64.b64encode(self.to_bytes()).decode("ascii")}

    @classmethod
    def from_json(cls, value: dict) -> Signature:
        return cls.from_bytes(base64.b64decode(value["minhash"]), value["shingles"])

    def jaccard(self, other: Signature) -> float:
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / len(self.hashvalues)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Runs of ``size`` words of each paragraph (a shorter paragraph is one shingle). No
    shingle spans two paragraphs, so reordered or dropped paragraphs leave the rest intact."""
    grams = set()
    for paragraph in text.split("\n"):
        words = comparison_key(paragraph).split()
        if len(words) < size:
            if words:
                grams.add(" ".join(words).encode("utf-8"))
            continue
        grams.update(" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1))
    return grams if len(grams) >= size else set()


# Drawing the permutations is a third of a MinHash's cost: draw them once. CRC-32 hashes the
# shingles ten times faster than datasketch's default SHA-1, and its spread is enough here.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
_hash_shingle = zlib.crc32


def signature(text: str) -> Signature | None:
    """The MinHash of a text's shingles; None for a text too short to have any."""
    grams = shingles(text)
    if not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_PERMUTATIONS, hashfunc=_hash_shingle)
    minhash.update_batch(list(grams))
    return Signature(minhash.hashvalues.astype(np.uint32), len(grams))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set that is in the other one."""
    jaccard = a.jaccard(b)
    common = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return min(1.0, common / min(a.shingles, b.shingles))


class BandedLSH:
    """Locality-sensitive hashing of MinHash signatures in bands (as datasketch's MinHashLSH,
    with its choice of bands and rows for the threshold), held compactly for a fast rebuild.

    Each band of ``rows`` hash values is mixed into one 64-bit key, salted per band so that all
    bands share one sorted key array with the article ids beside it (numpy: 16 bytes an article
    and band), searched by bisection for all bands at once. Articles added since the last merge
    wait in a dict; they are merged in when they reach a quarter of the sorted part, so merging
    costs O(log n) sorts per article.
    """

    MIN_MERGE = 2_000

    def __init__(self, threshold: float, num_perm: int = NUM_PERM):
        self.bands, self.rows = compat.lsh_bands_and_rows(threshold, num_perm)
        draw = np.random.RandomState(SEED).randint(1, 2**62, size=self.rows + self.bands, dtype=np.int64)
        self._mix = (draw[: self.rows].astype(np.uint64) << np.uint64(1)) | np.uint64(1)
        self._salt = draw[self.rows :].astype(np.uint64) << np.uint64(2)
        self._keys_sorted = np.empty(0, dtype=np.uint64)
        self._ids_sorted = np.empty(0, dtype=np.int64)
        self._pending_ids: list[int] = []
        self._pending_keys: list[np.ndarray] = []
        self._pending: dict[int, list[int]] = {}

    def _keys(self, matrix: np.ndarray) -> np.ndarray:
        """(n, num_perm) hash values -> (n, bands) salted band keys."""
        cut = matrix[:, : self.bands * self.rows].astype(np.uint64)
        mixed = (cut.reshape(len(matrix), self.bands, self.rows) * self._mix).sum(axis=2, dtype=np.uint64)
        return mixed ^ self._salt

    def build(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self._merge(np.asarray(ids, dtype=np.int64), self._keys(matrix))

    def _merge(self, ids: np.ndarray, keys: np.ndarray) -> None:
        all_keys = np.concatenate([self._keys_sorted, keys.ravel()])
        all_ids = np.concatenate([self._ids_sorted, np.repeat(ids, self.bands)])
        order = np.argsort(all_keys, kind="stable")
        self._keys_sorted, self._ids_sorted = all_keys[order], all_ids[order]

    def insert(self, key: int, hashvalues: np.ndarray) -> None:
        band_keys = self._keys(hashvalues[None, :])[0]
        self._pending_ids.append(key)
        self._pending_keys.append(band_keys)
        for band_key in band_keys.tolist():
            self._pending.setdefault(band_key, []).append(key)
        if len(self._pending_ids) >= max(self.MIN_MERGE, len(self._keys_sorted) // (4 * self.bands)):
            self._merge(np.array(self._pending_ids, dtype=np.int64), np.array(self._pending_keys))
            self._pending_ids, self._pending_keys, self._pending = [], [], {}

    def query(self, hashvalues: np.ndarray) -> set[int]:
        band_keys = self._keys(hashvalues[None, :])[0]
        low = np.searchsorted(self._keys_sorted, band_keys, "left")
        high = np.searchsorted(self._keys_sorted, band_keys, "right")
        found: set[int] = set()
        for start, stop in zip(low[high > low].tolist(), high[high > low].tolist(), strict=False):
            found.update(self._ids_sorted[start:stop].tolist())
        for band_key in band_keys.tolist():
            found.update(self._pending.get(band_key, ()))
        return found


class NearDuplicateIndex:
    """Every stored text's signature, keyed by article id, behind a banded LSH."""

    def __init__(self, lsh_threshold: float, min_containment: float):
        self.lsh = BandedLSH(lsh_threshold)
        self.min_containment = min_containment
        self.signatures: dict[int, Signature] = {}

    def load(self, rows: list[tuple[int, int, bytes]]) -> None:
        """Index (article id, shingle count, signature bytes) rows in bulk."""
        if not rows:
            return
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(row[2] for row in rows), dtype="<u4").reshape(len(rows), -1)
        self.lsh.build(ids, matrix)
        for (article_id, shingle_count, _), values in zip(rows, matrix, strict=False):
            self.signatures[article_id] = Signature(values, shingle_count)

    def add(self, article_id: int, sig: Signature) -> None:
        """Index ``sig`` for the article; a changed text's new signature replaces the old one
        (stale band entries only return a candidate that the current signature rejects)."""
        self.lsh.insert(article_id, sig.hashvalues)
        self.signatures[article_id] = sig

    def matches(self, sig: Signature, exclude: int | None = None) -> list[tuple[int, float]]:
        """Every stored article this text copies or is copied by: (article id, containment) of
        each LSH candidate whose containment reaches ``min_containment``, by article id.

        A link depends only on the two signatures (the LSH bands and the containment estimate
        are symmetric), so the links among a set of texts are the same whichever was indexed
        first: the dedupe stage records them all, and clusters are their connected parts."""
        found = []
        for candidate in self.lsh.query(sig.hashvalues):
            if candidate == exclude:
                continue
            score = containment(sig, self.signatures[candidate])
            if score >= self.min_containment:
                found.append((candidate, score))
        return sorted(found)

    def best_match(self, sig: Signature, exclude: int | None = None) -> tuple[int, float] | None:
        """The stored article this text most likely copies (or is copied by), with its
        containment, when that reaches ``min_containment`` (the first id of equal scores)."""
        return max(self.matches(sig, exclude), key=lambda match: match[1], default=None)
