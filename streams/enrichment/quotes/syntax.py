"""Parse vocabulary the quote stages share: subject labels, message nouns and a cached sentence lookup."""

from __future__ import annotations

import bisect

from spacy.tokens import Doc, Span

SUBJECTS = frozenset({"nsubj", "nsubjpass"})


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nouns of a message that speaks for whoever issued it ("issued a statement saying").
_MESSAGES = _wordset(
    "statement message letter post tweet video note email e-mail release memo caption sign banner placard ad"
)


# Nouns of what someone said: with a possessor, the subject of "be" before a quotation attributes it ("Clinton's
# response was: “...”", "her campaign slogan is “...”").
SPEECH_NOUNS = _MESSAGES | _wordset(
    "response reply answer retort slogan motto mantra refrain words remark comment"
)


# Where sentence_of keeps its per-Doc cache in Doc.user_data, which other components share.
_SENTENCES = "newsstreams.sentences"


def sentence_of(doc: Doc, i: int) -> Span:
    """The sentence holding token `i`. Token.sent walks every sentence of the Doc on each call; the
    sentence list is built once per Doc here and searched by position."""
    cached = doc.user_data.get(_SENTENCES)
    if cached is None:
        # Plain offsets, not Spans: a Span kept on its own Doc would make a reference cycle, and the
        # Doc's memory would wait for the cyclic garbage collector.
        cached = [(s.start, s.end) for s in doc.sents]
        doc.user_data[_SENTENCES] = cached
    start, end = cached[bisect.bisect_right(cached, (i, len(doc) + 1)) - 1]
    return doc[start:end]


def before_quote(doc: Doc, a: int) -> int:
    """The last token before token `a` that is neither space nor a quote mark: what a quotation opening at
    `a` follows (-1 when nothing does)."""
    i = a - 1
    while i >= 0 and (doc[i].is_space or doc[i].is_quote):
        i -= 1
    return i
