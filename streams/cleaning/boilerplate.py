"""Per-source learned boilerplate, article versions and syndicated copies: pure logic over any MutableMapping.

A Faust table or a plain dict plugs in; values are JSON-able (lists, dicts, strings, ints) so they travel
through a table's changelog unchanged.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from datasketch import MinHash

from streams.cleaning.clean import fingerprint

_SEP = "\x1f"


class LearnedBoilerplate:
    """Paragraphs one source repeats across many distinct articles (footers, prompts) are boilerplate.

    Per (source, fingerprint) the table keeps the distinct article ids that contained the paragraph, at most
    threshold + 1 of them: enough to decide, bounded whatever the traffic.
    """

    def __init__(self, table: MutableMapping[str, list[str]], threshold: int) -> None:
        if threshold < 2:
            # With 1, every paragraph of every article would be boilerplate the moment it is seen.
            raise ValueError("threshold must be at least 2 distinct articles")
        self.table = table
        self.threshold = threshold

    @staticmethod
    def key(source: str, fp: str) -> str:
        return f"{source}{_SEP}{fp}"

    def is_learned(self, source: str, fp: str) -> bool:
        return len(self.table.get(self.key(source, fp), ())) >= self.threshold

    def observe(self, source: str, article_id: str, paragraphs: Iterable[str]) -> None:
        """Count each distinct paragraph of one article once for its source (a re-sent article adds nothing)."""
        for fp in {fingerprint(p) for p in paragraphs}:
            key = self.key(source, fp)
            ids = list(self.table.get(key, ()))
            if article_id in ids or len(ids) > self.threshold:
                continue
            ids.append(article_id)
            # Reassign rather than mutate: a Faust table only writes its changelog on __setitem__.
            self.table[key] = ids

    def checker(self, source: str) -> Callable[[str], bool]:
        """The `is_learned(fingerprint)` callable the clean stage takes, bound to one source."""
        return lambda fp: self.is_learned(source, fp)


class ArticleVersions:
    """Version numbers per article id: a changed body is a new version, the same body again is nothing new."""

    # Replays re-send old revisions; remembering their hashes keeps them from minting new versions.
    KEEP_HASHES = 32

    def __init__(self, table: MutableMapping[str, dict[str, Any]]) -> None:
        self.table = table

    def decide(
        self, article_id: str, content_hash: str, origin: str | None = None, seen: float | None = None
    ) -> int | None:
        """1 for a new id, the next version when the content changed, None when this content was seen.

        `seen` (seconds) is remembered with the first version: when the id was first seen (`first_seen`).

        `origin` names the input message (partition and offset) being processed. The table's changelog can
        reach Kafka before the stage's output does; a worker killed in between is redelivered the same
        message after its restart, and that message gets its version again instead of being taken for a
        repeat (the output is the same event, with the same id, so consumers see a duplicate at most).
        """
        state = self.table.get(article_id)
        if state is None:
            self.table[article_id] = {"version": 1, "hashes": [content_hash], "origin": origin, "seen": seen}
            return 1
        hashes: list[str] = list(state["hashes"])
        if content_hash in hashes:
            redelivered = origin is not None and state.get("origin") == origin and hashes[-1] == content_hash
            return int(state["version"]) if redelivered else None
        version = int(state["version"]) + 1
        hashes = [*hashes, content_hash][-self.KEEP_HASHES :]
        first = state.get("seen", seen)
        self.table[article_id] = {"version": version, "hashes": hashes, "origin": origin, "seen": first}
        return version

    def first_seen(self, article_id: str) -> float | None:
        state = self.table.get(article_id)
        return None if state is None or state.get("seen") is None else float(state["seen"])

    def current(self, article_id: str) -> int | None:
        state = self.table.get(article_id)
        return None if state is None else int(state["version"])


_WORD = re.compile(r"\w+")
# Fixed seed and scheme: every worker and every replay must compute the same signatures. "affine32" pre-mixes
# each shingle's hash before the permutations; the hand-written (a·h + b) mod 2^61-1 over 32-bit hashes this
# replaced barely permuted them (a·h wraps at most a few times), so unrelated bodies that shared one
# common phrase agreed on most of the signature (0.81 for a Jaccard of 0.04) and were taken for copies.
_MINHASH_SEED = 20261206
_MINHASH_SCHEME = "affine32"
# Table key prefixes, versioned with the signature: entries saved under the old scheme are never compared.
_SIG, _BAND = "sig2", "band2"


class Syndication:
    """Near-duplicate bodies under another id (a syndicated or re-keyed copy), by MinHash with LSH bands.

    The table maps each band of a signature to the first few article ids that had it, and each article id
    to its signature, so a candidate found through one band is confirmed on the whole signature. Keys grow
    with every distinct article: give it a windowed or expiring table.
    """

    SHINGLE = 5
    BANDS = 16
    ROWS = 4
    PER_BAND = 8
    _TEMPLATE = MinHash(num_perm=BANDS * ROWS, seed=_MINHASH_SEED, scheme=_MINHASH_SCHEME)

    def __init__(self, table: MutableMapping[str, Any], similarity: float = 0.8) -> None:
        self.table = table
        self.similarity = similarity

    def signature(self, paragraphs: Iterable[str]) -> list[int]:
        """MinHash of the body's word 5-shingles (case, Unicode forms and punctuation ignored)."""
        text = unicodedata.normalize("NFKC", " ".join(paragraphs)).casefold()
        words = _WORD.findall(text)
        size = min(self.SHINGLE, len(words))
        grams = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)} if words else set()
        if not grams:
            return []
        minhash = MinHash(
            num_perm=self.BANDS * self.ROWS,
            seed=_MINHASH_SEED,
            scheme=_MINHASH_SCHEME,
            permutations=self._TEMPLATE.permutations,
        )
        minhash.update_batch([g.encode() for g in sorted(grams)])
        return [int(v) for v in minhash.hashvalues]

    def check(self, article_id: str, paragraphs: Iterable[str]) -> str | None:
        """The first other article id with (nearly) the same body, else None; this article is remembered."""
        signature = self.signature(paragraphs)
        if not signature:
            return None
        bands = self.bands(signature)
        for band in bands:
            for other in self.table.get(band, ()):
                if other != article_id and self._similar(signature, other):
                    return str(other)
        self.table[_SIG + _SEP + article_id] = signature
        for band in bands:
            ids = list(self.table.get(band, ()))
            # A few ids per band are enough to find a copy; the earliest stay, so the original is named.
            if article_id not in ids and len(ids) < self.PER_BAND:
                self.table[band] = [*ids, article_id]
        return None

    def bands(self, signature: list[int]) -> list[str]:
        """The signature's LSH band keys, band 0 first (the band index is hashed in: bands never mix)."""
        rows = self.ROWS
        chunks = (repr((i, signature[i * rows : (i + 1) * rows])) for i in range(self.BANDS))
        return [_BAND + _SEP + hashlib.blake2b(c.encode(), digest_size=8).hexdigest() for c in chunks]

    def _similar(self, signature: list[int], other_id: str) -> bool:
        other = self.table.get(_SIG + _SEP + other_id)
        if not other:
            return False
        agree = sum(1 for x, y in zip(signature, other, strict=False) if x == y)
        return agree / len(signature) >= self.similarity
