"""Capitals: names in all-capital headlines found again on the run written as the article writes it."""

from __future__ import annotations

from collections import Counter, defaultdict

from spacy.language import Language
from spacy.tokens import Doc, Span

from streams.enrichment.entities.lexicon import is_given_name, is_place

# A run needs this many all-capital words to be a capitals line, not an acronym ("NATO", "U.S.").
MIN_WORDS = 3


def _capital(token: str) -> bool:
    return len(token) > 1 and any(c.isalpha() for c in token) and token.isupper()


def _runs(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of all-capital text: capital words with only numbers and punctuation between (a
    dateline after a capital headline, "VICTORY . LONDON 1996-08-30", is one run), within a paragraph."""
    runs: list[tuple[int, int]] = []
    start, words = -1, 0
    for t in [*doc, None]:
        if t is not None and _capital(t.text):
            start, words = (t.i if start < 0 else start), words + 1
        elif t is not None and start >= 0 and not any(c.isalpha() for c in t.text) and "\n" not in t.text:
            continue
        else:
            if words >= MIN_WORDS:
                end = (t.i if t is not None else len(doc)) - 1
                while end > start and not _capital(doc[end].text):
                    end -= 1
                runs.append((start, end + 1))
            start, words = -1, 0
    return runs


def _forms(doc: Doc, inside: set[int]) -> dict[str, str]:
    """Each word's usual written form outside the capital runs, read mid-sentence first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in doc:
        if t.i not in inside and t.is_alpha and not t.text.isupper():
            counts[t.text.lower()][t.text] += 1 if t.is_sent_start else 3
    return {word: c.most_common(1)[0][0] for word, c in counts.items()}


def _recased(word: str, forms: dict[str, str]) -> str:
    if not word.isalpha():  # "U.S.", "3-0", "-"
        return word
    form = forms.get(word.lower())
    if form is None:
        named = word.isalpha() and (is_place(word) or is_given_name(word))
        form = word.capitalize() if named else word.lower()
    return form if len(form) == len(word) else word


def recase_entities(nlp: Language, doc: Doc) -> None:
    """Replace the entities of each all-capital run by those the model finds in the run recased the way
    the rest of the article writes each word ("LEICESTERSHIRE TAKE OVER" → "Leicestershire take over");
    an unknown word is a name if it is a known place or given name, else lower case."""
    runs = _runs(doc)
    if not runs:
        return
    inside = {i for lo, hi in runs for i in range(lo, hi)}
    forms = _forms(doc, inside)
    found: list[Span] = []
    for lo, hi in runs:
        base = doc[lo].idx
        text = "".join(_recased(t.text, forms) + t.whitespace_ for t in doc[lo:hi])
        for ent in nlp(text).ents:
            span = doc.char_span(base + ent.start_char, base + ent.end_char, label=ent.label_)
            if span is not None:
                found.append(span)
    kept = [e for e in doc.ents if not any(lo < e.end and e.start < hi for lo, hi in runs)]
    doc.ents = sorted([*kept, *found], key=lambda s: s.start)
