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
from streams.cleaning.expiry import live, time_stamp
from streams.cleaning.sightings import FirstSightings

_SEP = "\x1f"


class LearnedBoilerplate:
    """Paragraphs one source repeats across many distinct articles (footers, prompts) are boilerplate.

    Per (source, fingerprint) the table keeps the distinct article ids that contained the paragraph, at most
    threshold + 1 of them: enough to decide, bounded whatever the traffic. The value is
    `[last seen, partition, *ids]`: the event time the paragraph was last seen, refreshed at most once a
    `REFRESH` (so a line seen every day costs one changelog record a day, not one per article), and the
    input partition that wrote it, for expiry (streams/cleaning/expiry.py). An entry older than `limit`
    is read as absent: a line is forgotten between state_days and state_days + REFRESH after it was last
    seen. A value written before expiry existed is a bare list of ids: it counts as seen now when an
    article next meets it.

    With `first` (streams/cleaning/sightings.py), a paragraph's first sighting is remembered there rather
    than written: the table gets the key at its second distinct article, with the value it would have
    had then. A key held once is never learned (threshold >= 2), so what is learned does not change.
    """

    REFRESH = 86400.0

    def __init__(
        self,
        table: MutableMapping[str, list[Any]],
        threshold: int,
        partition: int = 0,
        limit: float = float("-inf"),
        first: FirstSightings | None = None,
    ) -> None:
        if threshold < 2:
            # With 1, every paragraph of every article would be boilerplate the moment it is seen.
            raise ValueError("threshold must be at least 2 distinct articles")
        self.table = table
        self.threshold = threshold
        self.partition = partition
        self.limit = limit
        self.first = first

    @staticmethod
    def key(source: str, fp: str) -> str:
        return f"{source}{_SEP}{fp}"

    @staticmethod
    def stamp(value: list[Any]) -> tuple[int, float] | None:
        """(partition, last seen) of a stored value; None for one written before expiry existed."""
        if not value or isinstance(value[0], str):
            return None
        return int(value[1]), float(value[0])

    def _ids(self, key: str) -> tuple[float | None, list[str]]:
        """(last seen, ids) of a live entry; (None, []) when absent or expired."""
        value = self.table.get(key)
        if not value:
            return None, []
        stamp = self.stamp(value)
        if stamp is None:
            return None, list(value)
        if stamp[1] < self.limit:
            return None, []
        return stamp[1], list(value[2:])

    def is_learned(self, source: str, fp: str) -> bool:
        return len(self._ids(self.key(source, fp))[1]) >= self.threshold

    def observe(self, source: str, article_id: str, paragraphs: Iterable[str], time: float = 0.0) -> None:
        """Count each distinct paragraph of one article (event time `time`) once for its source (a re-sent
        article adds nothing)."""
        for fp in {fingerprint(p) for p in paragraphs}:
            key = self.key(source, fp)
            seen, ids = self._ids(key)
            if not ids and self.first is not None:
                sighting = self.first.get(self.partition, key, self.limit)
                if sighting is None or sighting[0] == article_id:
                    self._first_sighting(key, article_id, time, sighting)
                    continue
                seen, ids = sighting[1], [sighting[0]]
            if article_id in ids or len(ids) > self.threshold:
                if seen is not None and seen >= time - self.REFRESH:
                    continue  # nothing new, and seen recently enough that expiry is not near
            else:
                ids.append(article_id)
            last = time if seen is None else max(seen, time)
            # Reassign rather than mutate: a Faust table only writes its changelog on __setitem__.
            self.table[key] = [last, self.partition, *ids]

    def _first_sighting(
        self, key: str, article_id: str, time: float, sighting: tuple[str, float] | None
    ) -> None:
        """What the table would have held for a key seen in one article, kept in `first` instead: the
        same time, refreshed by a later version of that article on the same terms as in the table."""
        assert self.first is not None
        if sighting is None:
            self.first.put(self.partition, key, article_id, time, self.limit)
        elif sighting[1] < time - self.REFRESH:
            self.first.put(self.partition, key, article_id, max(sighting[1], time), self.limit)

    def checker(self, source: str) -> Callable[[str], bool]:
        """The `is_learned(fingerprint)` callable the clean stage takes, bound to one source."""
        return lambda fp: self.is_learned(source, fp)


class ArticleVersions:
    """Version numbers per article id: a changed body is a new version, the same body again is nothing new.

    Each value carries `t`, the event time of the latest version (the highest seen), and `p`, the input
    partition that wrote it, for expiry (streams/cleaning/expiry.py): an entry older than `limit` is read
    as absent, so the id starts again at version 1. A value written before expiry existed has no `t`: it
    counts as seen at the event time of the next version written over it.
    """

    # Replays re-send old revisions; remembering their hashes keeps them from minting new versions.
    KEEP_HASHES = 32

    def __init__(
        self, table: MutableMapping[str, dict[str, Any]], partition: int = 0, limit: float = float("-inf")
    ) -> None:
        self.table = table
        self.partition = partition
        self.limit = limit

    # (partition, event time) of a stored value; None for one written before expiry existed.
    stamp = staticmethod(time_stamp)

    def _get(self, article_id: str) -> dict[str, Any] | None:
        return live(self.table.get(article_id), self.limit)

    def decide(
        self,
        article_id: str,
        content_hash: str,
        origin: str | None = None,
        seen: float | None = None,
        time: float | None = None,
    ) -> int | None:
        """1 for a new id, the next version when the content changed, None when this content was seen.

        `seen` (seconds) is remembered with the first version: when the id was first seen (`first_seen`).
        `time` is the article's event time, what its entry expires by (`seen` when not given).

        `origin` names the input message (partition and offset) being processed. The table's changelog can
        reach Kafka before the stage's output does; a worker killed in between is redelivered the same
        message after its restart, and that message gets its version again instead of being taken for a
        repeat (the output is the same event, with the same id, so consumers see a duplicate at most).
        """
        time = seen if time is None else time
        state = self._get(article_id)
        if state is None:
            self._put(article_id, 1, [content_hash], origin, seen, time)
            return 1
        hashes: list[str] = list(state["hashes"])
        if content_hash in hashes:
            redelivered = origin is not None and state.get("origin") == origin and hashes[-1] == content_hash
            return int(state["version"]) if redelivered else None
        version = int(state["version"]) + 1
        hashes = [*hashes, content_hash][-self.KEEP_HASHES :]
        if state.get("t") is not None and time is not None:
            time = max(time, float(state["t"]))
        self._put(article_id, version, hashes, origin, state.get("seen", seen), time)
        return version

    def _put(
        self,
        article_id: str,
        version: int,
        hashes: list[str],
        origin: str | None,
        seen: float | None,
        time: float | None,
    ) -> None:
        value = {"version": version, "hashes": hashes, "origin": origin, "seen": seen}
        self.table[article_id] = value if time is None else {**value, "t": time, "p": self.partition}

    def withhold(self, article_id: str) -> None:
        """A withheld article: the next version the feed sends is new, even with content sent before."""
        state = self._get(article_id)
        if state is not None:
            self.table[article_id] = {**state, "hashes": [], "origin": None}

    def first_seen(self, article_id: str) -> float | None:
        state = self._get(article_id)
        return None if state is None or state.get("seen") is None else float(state["seen"])

    def current(self, article_id: str) -> int | None:
        state = self._get(article_id)
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
