"""Near-duplicate texts: the same wire story republished with edits.

Each text becomes a set of word shingles (``SHINGLE_WORDS`` consecutive words of its folded
form) and a MinHash signature of that set. An LSH index over the signatures returns, without
comparing pairs, the stored texts likely to share many shingles; each candidate is then scored
by *containment*: the share of the shorter text's shingles found in the longer one, estimated
from the MinHash Jaccard and the two set sizes. Containment, not Jaccard, because a copy is
often a truncated or extended version of its source: a 60% excerpt is all inside the original.

Thresholds are settings (MONITOR_NEAR_*); docs/dedupe.md gives the measurements behind them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from scraper.normalise.text import comparison_key

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch 2's hashing: 32-bit values, stored as four bytes each


@dataclass(frozen=True)
class Signature:
    minhash: LeanMinHash
    shingles: int  # size of the shingle set

    def to_bytes(self) -> bytes:
        return self.minhash.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes, shingles: int) -> "Signature":
        values = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
        return cls(LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME), shingles)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    words = comparison_key(text).split()
    if len(words) < size:
        return set()
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


# Drawing the permutations is a third of a MinHash's cost: draw them once. CRC-32 hashes the
# shingles ten times faster than datasketch's default SHA-1, and its spread is enough here.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
_hash_shingle = zlib.crc32


def signature(text: str) -> Signature | None:
    """The MinHash of a text's shingles; None for a text too short to have any."""
    grams = shingles(text)
    if not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_PERMUTATIONS,
                      hashfunc=_hash_shingle)
    minhash.update_batch(list(grams))
    return Signature(LeanMinHash(minhash), len(grams))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set that is in the other one."""
    jaccard = a.minhash.jaccard(b.minhash)
    common = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return min(1.0, common / min(a.shingles, b.shingles))


class NearDuplicateIndex:
    """The LSH index of every stored text's signature, keyed by article id."""

    def __init__(self, lsh_threshold: float, min_containment: float):
        self.lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
        self.min_containment = min_containment
        self.signatures: dict[int, Signature] = {}

    def add(self, article_id: int, sig: Signature) -> None:
        self.lsh.insert(article_id, sig.minhash, check_duplication=False)
        self.signatures[article_id] = sig

    def replace(self, article_id: int, sig: Signature) -> None:
        """Index ``sig`` for the article, replacing a signature of its older text."""
        if article_id in self.signatures:
            self.lsh.remove(article_id)
        self.add(article_id, sig)

    def best_match(self, sig: Signature, exclude: int | None = None) -> tuple[int, float] | None:
        """The stored article this text most likely copies (or is copied by), with its
        containment, when that reaches ``min_containment``."""
        best = None
        for candidate in self.lsh.query(sig.minhash):
            if candidate == exclude:
                continue
            score = containment(sig, self.signatures[candidate])
            if score >= self.min_containment and (best is None or score > best[1]):
                best = (candidate, score)
        return best
