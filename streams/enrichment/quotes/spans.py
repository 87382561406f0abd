"""Quotation spans found by their marks (single, double, typographic, ''…''), across paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from streams.enrichment.entities import Entity
from streams.enrichment.nlp import ParsedArticle, Segment, text_of

# Words after a leading apostrophe that make it an elision, not an opening quote ('em, 'til).
ELISIONS = frozenset({"em", "til", "tis", "twas", "cause", "bout", "n", "s", "round", "nuff", "ol", "er"})

_MARKS = re.compile(r"''|``|[\"'“”‘’„«»]")
_OPEN_CONTEXT = frozenset("([{—–-/\u2014\u2013\"'“”‘’„«»…")
_CLOSE_CONTEXT = frozenset(".,;:!?)]}—–-/\u2014\u2013\"'“”‘’„«»…*")
_DOUBLE = frozenset({'"', "''", "``", "“", "”", "„", "«", "»"})
_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"</?[A-Za-z][^<>\n]*>")
# Short words a title in title case leaves in lower case ("Face the Nation", "Empire of the Fund").
_SMALL_WORDS = "a an the of in on at to for and or but nor with by from as vs"
_TITLE_SMALL = frozenset(_SMALL_WORDS.split())
# A paragraph that opens with a double quote mark continues an unclosed quote of the paragraph before.
_OPENS_WITH_QUOTE = re.compile(r"\s*(?:''|``|[\"“„«])")


@dataclass
class _Span:
    """A quotation found by its marks: [start, end) is the text, [outer_start, outer_end) with marks."""

    segment: Segment
    start: int
    end: int
    outer_start: int
    outer_end: int
    continues: bool = False  # runs on into the next paragraph
    continued: bool = False  # continues one from the paragraph before
    tokens: tuple[int, int] = (0, 0)
    group: int = 0
    cue: Token | None = None
    speaker: Entity | None = None
    addressee: Entity | None = None


def _flanking(text: str, i: int, j: int) -> tuple[bool, bool]:
    """Whether the mark at [i, j) can open (left-flanking) and close (right-flanking) a quotation."""
    prev = text[i - 1] if i > 0 else " "
    nxt = text[j] if j < len(text) else " "
    left = (prev.isspace() or prev in _OPEN_CONTEXT) and not nxt.isspace()
    right = not prev.isspace() and (nxt.isspace() or nxt in _CLOSE_CONTEXT)
    return left, right


def _is_elision(text: str, j: int) -> bool:
    word = _WORD.match(text, j)
    return word is None or word.group().lower() in ELISIONS or word.group()[0].isdigit()


def _scan(text: str, base: int, seg: Segment, continued: bool) -> tuple[list[_Span], list[_Span]]:
    """Closed quotations of one paragraph, and the still-open ones at its end (outermost first)."""
    # Quote marks inside markup (<tweet author="...">) delimit attribute values, not speech.
    text = _MARKUP.sub(lambda m: " " * len(m.group()), text)
    stack: list[tuple[str, int, int]] = []  # (family, mark start, mark end)
    spans: list[_Span] = []
    seen_double = False
    for m in _MARKS.finditer(text):
        mark, i, j = m.group(), m.start(), m.end()
        left, right = _flanking(text, i, j)
        family = "d" if mark in _DOUBLE else "s"
        has_open = any(f == family for f, _, _ in stack)
        if family == "d":
            if mark in ("“", "„", "«", "``"):
                role = "close" if right and not left and has_open else "open"
            elif mark in ("”", "»"):
                role = "open" if left and not right and not has_open else "close"
            elif left and not right:
                role = "open"
            elif right and not left:
                role = "close"
            else:
                role = "close" if has_open else "open"
        else:
            if left and not right and not _is_elision(text, j):
                role = "open"
            elif right and not left and has_open:
                role = "close"
            else:
                continue  # an apostrophe: it's, Johnson's, '90s, rock 'n' roll
        if role == "open":
            stack.append((family, i, j))
            seen_double = seen_double or family == "d"
            continue
        if not has_open:
            # A closing mark with nothing open: the paragraph carries on a quotation from the one before.
            if family == "d" and continued and not seen_double and not spans:
                spans.append(_Span(seg, base, base + i, base, base + j, continued=True))
            seen_double = seen_double or family == "d"
            continue
        while stack:
            fam, oi, oj = stack.pop()
            if fam == family:
                spans.append(_Span(seg, base + oj, base + i, base + oi, base + j))
                break
    unclosed = [
        _Span(seg, base + oj, base + len(text), base + oi, base + len(text))
        for fam, oi, oj in stack
        if fam == "d"
    ]
    return spans, unclosed


def _outermost(spans: list[_Span]) -> list[_Span]:
    """Drop quotations nested in another one: the inner quote is part of the outer quote's words."""
    spans.sort(key=lambda s: (s.outer_start, -s.outer_end))
    kept: list[_Span] = []
    for s in spans:
        if kept and s.outer_start < kept[-1].outer_end:
            continue
        kept.append(s)
    return kept


def find_spans(parsed: ParsedArticle) -> list[_Span]:
    """Every quotation of the article by its marks, in text order, multi-paragraph ones linked."""
    text = text_of(parsed.doc)
    result: list[_Span] = []
    pending: _Span | None = None
    group = 0
    segments = parsed.segments
    for n, seg in enumerate(segments):
        seg_text = text[seg.start : seg.end]
        continued = pending is not None and pending.segment.section == seg.section
        closed, unclosed = _scan(seg_text, seg.start, seg, continued)
        spans = list(closed)
        opener = unclosed[0] if unclosed else None
        nxt = segments[n + 1] if n + 1 < len(segments) and segments[n + 1].section == seg.section else None
        if opener is not None and nxt is not None and _OPENS_WITH_QUOTE.match(text, nxt.start):
            opener.continues = True
            spans.append(opener)
        elif (
            opener is not None
            and _words(text[opener.start : opener.end]) >= 4
            and seg_text.rstrip()[-1:] in ".!?"
        ):
            # An opening mark never closed, yet a sentence follows it: the closing mark was left out.
            spans.append(opener)
        spans = _outermost(spans)
        if continued and spans and _OPENS_WITH_QUOTE.match(seg_text):
            spans[0].continued = True
        for s in spans:
            if not (s.continued and result and result[-1].continues):
                group += 1
            s.group = group
            result.append(s)
        pending = spans[-1] if spans and spans[-1].continues else None
    return [s for s in result if re.search(r"\w", text[s.start : s.end])]


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def quote_kind(text: str) -> str:
    """A quote is "full" when it opens with a capital and reads as a sentence, else "partial"."""
    first = re.search(r"[^\W\d_]", text)
    if first is None or not first.group().isupper():
        return "partial"
    if _words(text) >= 4 or text.rstrip()[-1:] in ".!?":
        return "full"
    return "partial"


def _after(doc: Doc, span: _Span, b: int) -> int:
    """Index of the first token after the quote's closing mark (and spaces), within its paragraph."""
    i = b
    while i < len(doc) and doc[i].idx < span.outer_end:
        i += 1
    while i < len(doc) and (doc[i].is_space or doc[i].text in ("\u00a0",)):
        i += 1
    return i


def is_title(text: str) -> bool:
    """Title case with no sentence inside ("Face the Nation", "An American Son."): a work, show or slogan."""
    words = _WORD.findall(text)
    if not words or len(words) > 10 or re.search(r"[.!?][\"”’']?\s+\S", text.strip()):
        return False
    if words[0].lower() == "i" or words[0] in ("I'm", "I’m"):
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _TITLE_SMALL for w in words) and any(
        w[0].isupper() for w in words[1:] or words
    )
