"""spaCy in one place: the model named in settings, and one parse per article shared by every stage."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

from streams.events.records import CleanArticle

# Paragraphs are joined with a blank line so the parser never runs a sentence across two of them.
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Segment:
    """One piece of the parsed text: the headline, the standfirst or body paragraph `index`."""

    section: str  # "headline" | "standfirst" | "body"
    index: int  # paragraph number within the body; 0 for headline and standfirst
    start: int  # character offsets of the segment in the parsed text
    end: int


@dataclass(frozen=True)
class ParsedArticle:
    """A clean article with its spaCy Doc; entities, quotes and topics all read this one parse."""

    article: CleanArticle
    doc: Doc
    segments: tuple[Segment, ...]

    def locate(self, char: int) -> tuple[Segment, int]:
        """The segment holding text offset `char`, and the offset within that segment."""
        starts = [s.start for s in self.segments]
        seg = self.segments[max(0, bisect.bisect_right(starts, char) - 1)]
        return seg, char - seg.start

    def segment_text(self, seg: Segment) -> str:
        return text_of(self.doc)[seg.start : seg.end]


_TEXT = "newsstreams.text"


def text_of(doc: Doc) -> str:
    """`doc.text`, built once per Doc: spaCy joins every token's text on each `Doc.text` call, and the
    quote rules ask for it thousands of times per batch."""
    text = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return str(text)


def article_text(article: CleanArticle) -> tuple[str, tuple[Segment, ...]]:
    """The text the NLP stages parse: headline, standfirst and body paragraphs, and where each is."""
    pieces: list[tuple[str, int, str]] = []
    if article.headline:
        pieces.append(("headline", 0, article.headline))
    if article.standfirst:
        pieces.append(("standfirst", 0, article.standfirst))
    pieces.extend(("body", i, p) for i, p in enumerate(article.paragraphs))
    segments: list[Segment] = []
    offset = 0
    for section, index, text in pieces:
        segments.append(Segment(section, index, offset, offset + len(text)))
        offset += len(text) + len(SEPARATOR)
    return SEPARATOR.join(p[2] for p in pieces), tuple(segments)


# Names the small English model types wrongly in web news ("Twitter" PERSON), as EntityRuler patterns.
PATTERNS = Path(__file__).resolve().parents[1] / "data" / "entities" / "patterns.jsonl"


# A double quote mark glued to the words around it ('said,“Look', 'paranoia,”Clinton said', '(R-S.C.):"I'):
# spaCy's rules keep such a run as one token, so neither the mark, the cue nor the name is seen. Split the
# punctuation before a mark, and a mark after punctuation from the word it opens or ends beside. A period
# splits only after a lower-case word or a number, so abbreviations ("U.S.") keep theirs.
_GLUED_QUOTES = (
    r"(?<=[^\W_])[,;:!?](?=[\"“”])",
    r"(?<=[a-z0-9]{2})\.(?=[\"“”])",
    r"(?<=[)])[,.;:!?](?=[\"“”])",
    r"(?<=[,.;:!?])[\"“”](?=[^\W\d_])",
)


@lru_cache(maxsize=4)
def load_model(name: str) -> Language:
    """Load a spaCy pipeline (package name or path) once per process, with the entity patterns before its NER
    and quote marks glued to words split off."""
    nlp = spacy.load(name)
    infixes = [*(nlp.Defaults.infixes or ()), *_GLUED_QUOTES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]
    if "ner" in nlp.pipe_names and "entity_ruler" not in nlp.pipe_names:
        ruler = nlp.add_pipe("entity_ruler", before="ner")
        ruler.from_disk(PATTERNS)  # type: ignore[attr-defined]
    return nlp


def parse(nlp: Language, articles: Sequence[CleanArticle], batch_size: int = 32) -> list[ParsedArticle]:
    """Parse a batch of articles with `nlp.pipe`; the result keeps each article beside its Doc."""
    # Imported here: the entity lexicons it reads import this module.
    from streams.enrichment.truecase import recase_entities

    laid_out = [article_text(a) for a in articles]
    docs: Iterable[Doc] = nlp.pipe((text for text, _ in laid_out), batch_size=batch_size)
    parsed = []
    for article, doc, (text, segments) in zip(articles, docs, laid_out, strict=True):
        doc.user_data[_TEXT] = text  # spaCy keeps every character: the Doc's text is the text parsed
        recase_entities(nlp, doc)
        parsed.append(ParsedArticle(article, doc, segments))
    return parsed
