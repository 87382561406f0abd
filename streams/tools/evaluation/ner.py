"""Named entities measured on CoNLL-2003: conlleval's exact-span P/R/F1, the entity stage beside raw spaCy."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.enrichment.entities import extract_entities
from streams.enrichment.nlp import ParsedArticle, load_model, parse
from streams.events.records import CleanArticle
from streams.settings import Settings

NAME = "ner"
LABELS = ("LOC", "MISC", "ORG", "PER")
# The README's mapping of spaCy types to CoNLL's four; everything else (dates, numbers) is dropped.
TYPE_MAP = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}

Span = tuple[int, int, str]  # character start, end and CoNLL label


@dataclass(frozen=True)
class Document:
    """One -DOCSTART- document: its tokens, their IOB1 tags and where each sentence starts."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    sentences: tuple[int, ...] = (0,)

    def text(self) -> str:
        return " ".join(self.tokens)

    def gold(self) -> set[Span]:
        """The gold entities as character spans of `text()`."""
        starts: list[int] = []
        offset = 0
        for token in self.tokens:
            starts.append(offset)
            offset += len(token) + 1
        # conlleval ends every chunk at a sentence boundary, even between two I- tags of one type.
        bounds = [*self.sentences, len(self.tokens)]
        spans = [
            (lo + i, lo + j, label)
            for lo, hi in itertools.pairwise(bounds)
            for i, j, label in chunks(self.tags[lo:hi])
        ]
        return {(starts[i], starts[j - 1] + len(self.tokens[j - 1]), label) for i, j, label in spans}


def read_conll(path: Path) -> list[Document]:
    """CoNLL-2003 column files: token first, NER tag last; -DOCSTART- lines separate documents."""
    docs: list[Document] = []
    tokens: list[str] = []
    tags: list[str] = []
    sentences: list[int] = []
    with path.open(encoding="utf-8") as lines:
        for line in [*lines, "-DOCSTART-"]:
            cols = line.split()
            if not cols:
                sentences.append(len(tokens))  # a blank line: the next token opens a sentence
            elif cols[0] == "-DOCSTART-":
                if tokens:
                    starts = sorted({0, *(s for s in sentences if s < len(tokens))})
                    docs.append(Document(tuple(tokens), tuple(tags), tuple(starts)))
                tokens, tags, sentences = [], [], []
            else:
                tokens.append(cols[0])
                tags.append(cols[-1])
    return docs


def chunks(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity chunks of IOB1 (or IOB2) tags as conlleval reads them: (first token, end token, type).

    In IOB1 an entity starts at I-X after O or another type; B-X only separates two adjacent
    entities of one type.
    """
    found: list[tuple[int, int, str]] = []
    start, current = 0, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        begins = tag != "O" and (prefix == "B" or kind != current)
        if current and (tag == "O" or begins):
            found.append((start, i, current))
            current = ""
        if begins:
            start, current = i, kind
    return found


def score(pairs: Iterable[tuple[set[Span], set[Span]]]) -> dict[str, dict[str, float]]:
    """conlleval's figures over (gold, predicted) span sets: per label and micro-averaged."""
    counts = {label: [0, 0, 0] for label in (*LABELS, "micro")}  # correct, predicted, gold
    for gold, predicted in pairs:
        for s in gold & predicted:
            counts[s[2]][0] += 1
        for s in predicted:
            counts.setdefault(s[2], [0, 0, 0])[1] += 1
        for s in gold:
            counts.setdefault(s[2], [0, 0, 0])[2] += 1
    for label in list(counts):
        if label != "micro":
            for k in range(3):
                counts["micro"][k] += counts[label][k]
    return {label: _prf(*c) for label, c in counts.items()}


def _prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "correct": correct,
        "predicted": predicted,
        "gold": gold,
    }


def pipeline_spans(parsed: ParsedArticle, *, max_entities: int) -> set[Span]:
    """Every mention of every canonical entity, under its entity's type, as a predicted span."""
    spans: set[Span] = set()
    base = parsed.segments[0].start if parsed.segments else 0
    for entity in extract_entities(parsed, max_entities=max_entities):
        label = TYPE_MAP.get(entity.type)
        if label:
            for mention in entity.mentions:
                # CoNLL leaves honorifics outside names ("Mr" is O), so score the name alone.
                start, end = mention.name_span()
                spans.add((start - base, end - base, label))
    return spans


def spacy_spans(parsed: ParsedArticle) -> set[Span]:
    """spaCy's own doc.ents under the same mapping: the baseline canonicalisation must not fall below."""
    base = parsed.segments[0].start if parsed.segments else 0
    return {
        (e.start_char - base, e.end_char - base, TYPE_MAP[e.label_])
        for e in parsed.doc.ents
        if e.label_ in TYPE_MAP
    }


def _article(i: int, text: str) -> CleanArticle:
    return CleanArticle(
        event_id=f"conll-{i}",
        article_id=f"conll2003/{i}",
        version=1,
        source="conll2003",
        content_type="text/plain",
        content_hash="",
        paragraphs=[text],
    )


def evaluate(root: Path, settings: Settings) -> dict[str, Any]:
    """Score the entity stage and raw spaCy on root/ner/conll2003.txt in one run."""
    docs = read_conll(root / NAME / "conll2003.txt")
    nlp = load_model(settings.model)
    articles = [_article(i, d.text()) for i, d in enumerate(docs)]
    parsed = parse(nlp, articles, batch_size=settings.batch_size)
    golds = [d.gold() for d in docs]
    ours = [pipeline_spans(p, max_entities=settings.max_entities) for p in parsed]
    theirs = [spacy_spans(p) for p in parsed]
    return {
        "documents": len(docs),
        "gold_entities": sum(len(g) for g in golds),
        "model": settings.model,
        "pipeline": score(zip(golds, ours, strict=True)),
        "spacy": score(zip(golds, theirs, strict=True)),
    }


def report(result: dict[str, Any]) -> str:
    """Printable lines: P/R/F1 per label and micro, the entity stage beside raw spaCy doc.ents."""
    lines = [
        f"CoNLL-2003: {result['documents']} documents, {result['gold_entities']} gold entities, "
        f"model {result['model']}",
        f"{'label':<6} {'pipeline P':>10} {'R':>6} {'F1':>6}   {'spaCy P':>7} {'R':>6} {'F1':>6}",
    ]
    for label in (*LABELS, "micro"):
        ours, theirs = result["pipeline"][label], result["spacy"][label]
        lines.append(
            f"{label:<6} {ours['precision']:>10.4f} {ours['recall']:>6.4f} {ours['f1']:>6.4f}"
            f"   {theirs['precision']:>7.4f} {theirs['recall']:>6.4f} {theirs['f1']:>6.4f}"
        )
    delta = result["pipeline"]["micro"]["f1"] - result["spacy"]["micro"]["f1"]
    lines.append(f"micro F1, entity stage minus raw spaCy: {delta:+.4f}")
    return "\n".join(lines)
