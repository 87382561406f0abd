"""Quote extraction measured on PolNeAR: precision, recall, F1 and speaker accuracy, beside a regex baseline."""

from __future__ import annotations

import bisect
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.cleaning.clean import normalise, split_paragraphs
from streams.enrichment.entities import Entity, EntityMention
from streams.enrichment.nlp import ParsedArticle, load_model, parse
from streams.enrichment.quotes import extract_quotes
from streams.events.records import CleanArticle
from streams.settings import Settings

NAME = "quotes"
CORRECT_SHARE = 0.8
_WORD = re.compile(r"\w+")
# The plain-regex baseline of the README: typographic and straight double quotes, nothing else.
_BASELINE = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "who",
        "which",
        "one",
    ]
)
# Capitalised words that open a phrase without naming anyone ("The spokesman", "A source").
_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
        "our",
        "my",
        "your",
        "some",
        "one",
    ]
)


@dataclass(frozen=True)
class Predicted:
    """One predicted quotation located in the original text, with its speaker's name."""

    start: int
    end: int
    speaker: str | None = None
    cue: str | None = None


def name_tokens(text: str | None) -> set[str]:
    """Capitalised word tokens that can name a speaker: no pronouns, no determiners."""
    if not text:
        return set()
    return {w for w in _WORD.findall(text) if w[0].isupper() and w.lower() not in _PRONOUNS | _NOT_NAMES}


class _Tokens:
    """Word tokens of one text, for counting the tokens inside character spans."""

    def __init__(self, text: str):
        matches = list(_WORD.finditer(text))
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]

    def inside(self, start: int, end: int) -> range:
        """Indices of the tokens lying wholly inside [start, end)."""
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_right(self.ends, end)
        return range(lo, max(lo, hi))


def score_article(
    text: str,
    gold: Sequence[dict[str, Any]],
    predicted: Sequence[Predicted],
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Counts of one article under the README's metric, and the kind of every miss; each speaker miss
    (gold source, predicted speaker and cue, the quote) is appended to `errors` when given."""
    tokens = _Tokens(text)
    in_content = [False] * len(tokens.starts)
    for q in gold:
        for i in tokens.inside(q["content_start"], q["content_end"]):
            in_content[i] = True
    counts: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    preds = [(p, tokens.inside(p.start, p.end)) for p in predicted]
    preds = [(p, r) for p, r in preds if len(r) > 0]
    for p, r in preds:
        counts["predicted"] += 1
        if sum(in_content[i] for i in r) >= CORRECT_SHARE * len(r):
            counts["correct"] += 1
        else:
            misses[_false_positive_kind(text, p)] += 1
    for q in gold:
        if not q.get("direct"):
            continue
        own = set(tokens.inside(q["content_start"], q["content_end"]))
        for key in ("source", "cue"):
            if q.get(f"{key}_start") is not None and q.get(f"{key}_end") is not None:
                own -= set(tokens.inside(q[f"{key}_start"], q[f"{key}_end"]))
        if not own:
            counts["gold_empty"] += 1  # annotations whose span holds no word (inverted or empty offsets)
            continue
        counts["gold"] += 1
        best: Predicted | None = None
        best_overlap = 0
        covered: set[int] = set()
        for p, r in preds:
            if p.start < q["content_end"] and q["content_start"] < p.end:
                mine = own.intersection(r)
                covered |= mine
                if len(mine) > best_overlap:
                    best, best_overlap = p, len(mine)
        if len(covered) < CORRECT_SHARE * len(own):
            misses[_missed_kind(text, q, bool(covered))] += 1
            continue
        counts["found"] += 1
        source = name_tokens(q.get("source"))
        if not source:
            continue
        counts["speaker_gold"] += 1
        speaker = best.speaker if best is not None else None
        if source & name_tokens(speaker):
            counts["speaker_correct"] += 1
        else:
            misses[_speaker_kind(q, best)] += 1
            if errors is not None:
                errors.append(
                    {
                        "kind": _speaker_kind(q, best),
                        "source": q.get("source"),
                        "speaker": speaker,
                        "cue": best.cue if best is not None else None,
                        "content_start": q["content_start"],
                        "content": q["content"],
                    }
                )
    return {"counts": counts, "misses": misses}


def _missed_kind(text: str, q: dict[str, Any], partly: bool) -> str:
    content: str = q["content"]
    before = text[max(0, q["content_start"] - 2) : q["content_start"]]
    if partly and len(re.findall(r"[“”\"]|''", content)) > 2:
        return "recall: gold span runs over attribution text between quote pieces"
    if partly:
        return "recall: gold quote only partly covered"
    if content.startswith("''") or before.endswith("''"):
        return "recall: ''…'' quote missed"
    if "\n" in content.strip():
        return "recall: multi-paragraph quote missed"
    if content[:1] in "'‘" or before[-1:] in "'‘":
        return "recall: single-quoted quote missed"
    if content[:1] not in '"“”' and before[-1:] not in '"“”':
        return "recall: gold content without an opening mark"
    if not re.search(r"[”\"]|''", content[1:]):
        return "recall: quote never closed"
    return "recall: scare quote / title left out"


def _speaker_kind(q: dict[str, Any], best: Predicted | None) -> str:
    if best is None or best.cue is None:
        return "speaker: no attribution found"
    if best.speaker is None:
        return "speaker: found cue, speaker not an entity"
    return "speaker: wrong entity"


def _false_positive_kind(text: str, p: Predicted) -> str:
    words = text[p.start : p.end]
    if p.cue is None:
        return "precision: unattributed quote outside gold"
    if len(_WORD.findall(words)) <= 3:
        return "precision: short attributed quote outside gold"
    return "precision: attributed quote outside gold"


def clean_article(row: dict[str, Any]) -> CleanArticle:
    """A PolNeAR text as the clean stage would give it: no headline, paragraphs split on blank lines."""
    paragraphs = split_paragraphs(normalise(row["text"]))
    return CleanArticle(
        event_id=str(row["id"]),
        article_id=str(row["id"]),
        version=1,
        source="polnear",
        content_type="text/plain",
        content_hash="",
        paragraphs=paragraphs,
    )


def align(original: str, parsed: str) -> list[int]:
    """For every character of `parsed`, its offset in `original`, ignoring whitespace (and dropped marks)."""
    out = [0] * (len(parsed) + 1)
    n = len(original)
    j = 0
    for i, ch in enumerate(parsed):
        if ch.isspace():
            out[i] = min(j, n)
            continue
        while j < n and (original[j].isspace() or original[j] in _INVISIBLE):
            j += 1
        k = j
        # Normalisation may have changed a character (NFC): look a little ahead, else keep in step.
        while k < min(n, j + 4) and original[k] != ch:
            k += 1
        if k < n and original[k] == ch:
            j = k
        out[i] = min(j, n)
        j += 1
    out[len(parsed)] = n
    return out


def predict(parsed: ParsedArticle, entities: Sequence[Entity], original: str) -> list[Predicted]:
    """The pipeline's quotes of one article, located in the original text."""
    mapping = align(original, parsed.doc.text)
    result = []
    for q in extract_quotes(parsed, entities):
        start = mapping[q.doc_start]
        end = mapping[q.doc_end - 1] + 1 if q.doc_end > q.doc_start else start
        result.append(Predicted(start, end, q.speaker.name if q.speaker else None, q.cue))
    return result


def baseline(text: str) -> list[Predicted]:
    """Plain-regex quotes over “…” and "…": no speakers."""
    return [Predicted(m.start() + 1, m.end() - 1) for m in _BASELINE.finditer(text)]


def _entity_stage() -> tuple[Callable[[ParsedArticle], list[Entity]], str]:
    try:
        from streams.enrichment.entities import extract_entities
    except ImportError:
        return fallback_entities, "fallback (doc.ents merged by surname)"
    return extract_entities, "streams.enrichment.entities.extract_entities"


def fallback_entities(parsed: ParsedArticle) -> list[Entity]:
    """Until the entity stage exists: spaCy's PERSON/ORG/GPE/NORP mentions merged by surname or text."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for ent in parsed.doc.ents:
        if ent.label_ not in ("PERSON", "ORG", "GPE", "NORP"):
            continue
        words = ent.text.replace("’s", "").replace("'s", "").split()
        key = words[-1] if ent.label_ == "PERSON" and words else ent.text
        groups.setdefault((ent.label_, key), []).append(ent)
    entities = []
    for (label, key), ents in groups.items():
        mentions = []
        for e in ents:
            seg, offset = parsed.locate(e.start_char)
            mentions.append(
                EntityMention(
                    e.text, seg.section, seg.index, offset, offset + len(e.text), e.start_char, e.end_char
                )
            )
        name = max((e.text for e in ents), key=len)
        entities.append(Entity(f"{label.lower()}:{key.lower()}", name, label, tuple(mentions)))
    return entities


def _ratios(counts: Counter[str]) -> dict[str, float]:
    p = counts["correct"] / counts["predicted"] if counts["predicted"] else 0.0
    r = counts["found"] / counts["gold"] if counts["gold"] else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    s = counts["speaker_correct"] / counts["speaker_gold"] if counts["speaker_gold"] else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "speaker_accuracy": round(s, 4),
    }


def load(root: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = []
    with (root / "quotes" / "polnear.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def evaluate(root: Path, settings: Settings, *, limit: int | None = None) -> dict[str, Any]:
    """Run clean → parse → entities → quotes over PolNeAR and score it, with the regex baseline beside it."""
    rows = load(root, limit)
    nlp = load_model(settings.model)
    extract_entities, entity_stage = _entity_stage()
    began = time.perf_counter()
    parsed = parse(nlp, [clean_article(r) for r in rows], batch_size=settings.batch_size)
    return score_all(rows, parsed, extract_entities, entity_stage, began)


def score_all(
    rows: Sequence[dict[str, Any]],
    parsed: Sequence[ParsedArticle],
    extract_entities: Callable[[ParsedArticle], list[Entity]],
    entity_stage: str,
    began: float | None = None,
) -> dict[str, Any]:
    """Score already parsed articles (the evaluation minus the parse, so tuning can reuse parses)."""
    began = time.perf_counter() if began is None else began
    counts: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    base: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for row, article in zip(rows, parsed, strict=True):
        try:
            entities = extract_entities(article)
        except Exception as exc:  # the entity stage's own bug must not hide the quote figures; it is counted
            failures[f"{type(exc).__name__}: {exc}"[:120]] += 1
            entities = fallback_entities(article)
        predicted = predict(article, entities, row["text"])
        scored = score_article(row["text"], row["quotes"], predicted)
        counts.update(scored["counts"])
        misses.update(scored["misses"])
        base.update(score_article(row["text"], row["quotes"], baseline(row["text"]))["counts"])
    return {
        "name": NAME,
        "articles": len(rows),
        "entity_stage": entity_stage,
        "pipeline": {**_ratios(counts), **{k: counts[k] for k in sorted(counts)}},
        "baseline": {**_ratios(base), **{k: base[k] for k in ("predicted", "correct", "found", "gold")}},
        "top_misses": misses.most_common(10),
        "entity_failures": dict(failures),
        "seconds": round(time.perf_counter() - began, 1),
    }


def report(result: dict[str, Any]) -> str:
    """The result as a short plain-text table."""
    lines = [f"quotes on {result['articles']} PolNeAR articles (entities: {result['entity_stage']})"]
    lines.append(f"{'':10} {'P':>6} {'R':>6} {'F1':>6} {'speaker':>8} {'pred':>6} {'gold':>6}")
    for key in ("pipeline", "baseline"):
        r = result[key]
        speaker = f"{r['speaker_accuracy']:8.3f}" if key == "pipeline" else f"{'-':>8}"
        lines.append(
            f"{key:10} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {speaker}"
            f" {r['predicted']:6d} {r['gold']:6d}"
        )
    p = result["pipeline"]
    lines.append(
        f"gold direct quotes with no word in their span (ignored): {p.get('gold_empty', 0)}; "
        f"speaker scored on {p.get('speaker_gold', 0)} found quotes with a named source"
    )
    for error, n in result.get("entity_failures", {}).items():
        lines.append(f"entity stage failed on {n} articles (fallback entities used there): {error}")
    lines.append("most frequent kinds of miss:")
    lines.extend(f"  {n:5d}  {kind}" for kind, n in result["top_misses"])
    lines.append(f"{result['seconds']} s")
    return "\n".join(lines)
