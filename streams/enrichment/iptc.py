"""Topics: IPTC Media Topics from a small spaCy text classifier, and key phrases from the shared parse."""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy
import spacy
from spacy.attrs import IS_ALPHA, IS_STOP, LOWER
from spacy.language import Language
from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref, resize_linear_weighted
from spacy.tokens import Doc, Span, Token
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from thinc.api import Adam, Logistic, Model, chain, resizable, with_cpu
from thinc.layers import SparseLinear_v2, softmax_activation

from streams.enrichment.nlp import ParsedArticle

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_MODEL = DATA / "topics"
VOCABULARY = DATA / "iptc_mediatopics.json"
META_FILE = "topics.json"
TOP_COMPONENT = "topics"
SUB_COMPONENT = "subtopics"
# A second-level term is reported only when its own (independent) score reaches this.
SUBTOPIC_CONFIDENCE = 0.5
_TOP_LEVEL = re.compile(r"^medtop:(0[1-9]|1[0-7])000000$")


@dataclass(frozen=True)
class TopicScore:
    """One IPTC Media Topic with its score (0-1); rank is 1 for the best once assigned, else 0."""

    code: str
    label: str
    score: float
    rank: int = 0

    @property
    def top_level(self) -> bool:
        return is_top_level(self.code)


def is_top_level(code: str) -> bool:
    return bool(_TOP_LEVEL.match(code))


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, str | None]]:
    """IPTC code -> {"label", "parent"} for the 17 top-level terms and their second-level terms."""
    terms: dict[str, dict[str, str | None]] = json.loads(VOCABULARY.read_text("utf-8"))["terms"]
    return terms


def label_of(code: str) -> str:
    term = vocabulary().get(code)
    return str(term["label"]) if term else code


def text_fingerprint(text: str) -> str:
    """A short hash of a text with its whitespace collapsed: how a model records what it was trained on."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


# --- the model -------------------------------------------------------------------------------------
#
# spaCy's stock bag-of-words classifier sums raw n-gram counts, so long articles and function words
# dominate. This variant keeps spaCy's sparse linear layer but feeds it what a TF-IDF model would see:
# lowercased alphabetic tokens without stop words, sublinear counts (1 + log), L2-normalised per doc.
# On the BBC development split it was ~0.008 macro-F1 better than spacy.TextCatBOW.v3 (see MODEL_CARD).


def _normalised_ngrams(
    ngram_size: int, scale: float, idf_length: int = 0
) -> Model[list[Doc], tuple[Any, Any, Any]]:
    """Keys and values for the sparse layer; with `idf_length`, counts are weighted by a stored IDF table.

    The IDF table (param "idf", one weight per `key % idf_length`) is set by `_fit_svm` from the
    training texts and saved with the model; it starts at 1, which is the plain normalised count.
    """

    def forward(model: Model[Any, Any], docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
        idf: Any = model.get_param("idf") if idf_length else None
        batch_keys, batch_vals = [], []
        for doc in docs:
            arr = doc.to_array([LOWER, IS_ALPHA, IS_STOP]).reshape(-1, 3)
            ids = numpy.ascontiguousarray(arr[(arr[:, 1] == 1) & (arr[:, 2] == 0), 0], dtype="uint64")
            grams: list[Any] = [ids]
            grams += [model.ops.ngrams(n, ids) for n in range(2, ngram_size + 1)]  # type: ignore[arg-type]
            keys, counts = numpy.unique(numpy.concatenate(grams), return_counts=True)
            vals = (1.0 + numpy.log(counts)).astype("f")
            if idf is not None:
                vals = vals * idf[keys % numpy.uint64(idf_length)]
            norm = float(numpy.sqrt((vals * vals).sum())) or 1.0
            batch_keys.append(keys.astype("uint64"))
            batch_vals.append(vals * (scale / norm))
        lengths = model.ops.asarray1i([len(k) for k in batch_keys])
        keys = numpy.concatenate(batch_keys) if batch_keys else numpy.zeros((0,), dtype="uint64")
        vals = numpy.concatenate(batch_vals) if batch_vals else numpy.zeros((0,), dtype="f")
        return (keys, vals.astype("f"), lengths), lambda d_out: []

    def init(model: Model[Any, Any], X: Any = None, Y: Any = None) -> None:
        if idf_length and not model.has_param("idf"):
            model.set_param("idf", model.ops.alloc1f(idf_length) + 1.0)

    if not idf_length:
        return Model("normalised_ngrams", forward)
    return Model("tfidf_ngrams", forward, init=init, params={"idf": None}, attrs={"idf_length": idf_length})


@spacy.registry.architectures("newsstreams.NormalisedBOW.v1")
def build_normalised_bow(
    exclusive_classes: bool,
    ngram_size: int = 1,
    length: int = 2**16,
    scale: float = 5.0,
    nO: int | None = None,
) -> Model[list[Doc], Any]:
    """A bag-of-words text classifier over normalised sublinear n-gram counts (see the note above)."""
    return _bow_classifier(_normalised_ngrams(ngram_size, scale), exclusive_classes, length, nO)


@spacy.registry.architectures("newsstreams.TfidfBOW.v1")
def build_tfidf_bow(
    exclusive_classes: bool,
    ngram_size: int = 1,
    length: int = 2**16,
    scale: float = 1.0,
    nO: int | None = None,
) -> Model[list[Doc], Any]:
    """As NormalisedBOW, with the counts weighted by an IDF table learned from the training texts.

    `streams.enrichment.iptc.train(..., solver="svm")` fits it as a one-vs-rest linear SVM (squared hinge, L2),
    the TF-IDF + linear SVM recipe, inside spaCy's own layers.
    """
    return _bow_classifier(_normalised_ngrams(ngram_size, scale, length), exclusive_classes, length, nO)


def _bow_classifier(
    features: Model[list[Doc], Any], exclusive_classes: bool, length: int, nO: int | None
) -> Model[list[Doc], Any]:
    sparse = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Any, Any] = resizable(
        sparse, resize_layer=partial(resize_linear_weighted, fill_defaults={"b": NEG_VALUE, "W": 0})
    )
    output = softmax_activation() if exclusive_classes else Logistic()
    model: Model[list[Doc], Any] = chain(
        with_cpu(chain(features, resizable_layer), resizable_layer.ops),
        with_cpu(output, output.ops),
    )
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse)
    if "idf" in features.param_names:
        model.set_ref("features", features)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


class TopicClassifier:
    """A trained topic model: top-level IPTC subjects always, second-level terms where confident."""

    def __init__(self, nlp: Language, meta: dict[str, Any]) -> None:
        self.nlp = nlp
        self.meta = meta
        self._labels: dict[str, str] = dict(meta.get("labels", {}))

    @classmethod
    def load(cls, path: str | Path | None = None) -> TopicClassifier:
        """Load a model directory written by `train`; None or "" is the model shipped in the package."""
        where = Path(path) if path else DEFAULT_MODEL
        # Any spaCy text classifier with IPTC labels works; ours also carry topics.json.
        meta_file = where / META_FILE
        meta = json.loads(meta_file.read_text("utf-8")) if meta_file.exists() else {}
        return cls(spacy.load(where), meta)

    @property
    def trained_on(self) -> frozenset[str]:
        """Fingerprints (`text_fingerprint`) of the texts the model was trained on."""
        return frozenset(self.meta.get("trained_on", {}).get("fingerprints", []))

    def label(self, code: str) -> str:
        return self._labels.get(code) or label_of(code)

    def classify(self, text: str) -> list[TopicScore]:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str], batch_size: int = 64) -> list[list[TopicScore]]:
        """Scores for each text: every top-level subject best first, then confident second-level terms."""
        return [self._scores(doc.cats) for doc in self.nlp.pipe(texts, batch_size=batch_size)]

    def classify_docs(self, docs: Sequence[Doc]) -> list[list[TopicScore]]:
        """As `classify_many`, on Docs another English pipeline already made (the shared parse).

        The model reads only lowercase forms, alphabetic and stop-word flags, which any English
        tokenizer gives, so the article is not tokenised twice. The Docs are left unchanged.
        """
        if not docs:
            return []
        cats: list[dict[str, float]] = [{} for _ in docs]
        for _, pipe in self.nlp.pipeline:
            labels = pipe.labels  # type: ignore[attr-defined]
            predicted = pipe.predict(list(docs))  # type: ignore[attr-defined]
            for doc_cats, row in zip(cats, predicted, strict=True):
                doc_cats.update((label, float(score)) for label, score in zip(labels, row, strict=True))
        return [self._scores(c) for c in cats]

    def _scores(self, cats: dict[str, float]) -> list[TopicScore]:
        top = [TopicScore(c, self.label(c), float(s)) for c, s in cats.items() if is_top_level(c)]
        sub = [
            TopicScore(c, self.label(c), float(s))
            for c, s in cats.items()
            if not is_top_level(c) and s >= SUBTOPIC_CONFIDENCE
        ]
        return _best_first(top) + _best_first(sub)


def _best_first(scores: list[TopicScore]) -> list[TopicScore]:
    return sorted(scores, key=lambda s: (-s.score, s.code))


def assign(scores: Sequence[TopicScore], threshold: float) -> list[TopicScore]:
    """The topics to publish: the best one always, every other at or above `threshold`, ranked 1, 2, …"""
    if not scores:
        return []
    best, *rest = sorted(scores, key=lambda s: -s.score)  # stable: ties keep classify's order
    chosen = [best, *(s for s in rest if s.score >= threshold)]
    return [replace(s, rank=i) for i, s in enumerate(chosen, start=1)]


# --- training ----------------------------------------------------------------------------------------


def read_labelled(data: Path) -> list[tuple[str, list[str]]]:
    """Lines of `{"text": ..., "topics": ["medtop:…", …]}`; blank lines are skipped."""
    rows: list[tuple[str, list[str]]] = []
    with data.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item = json.loads(line)
            text, topics = item.get("text"), item.get("topics")
            if not isinstance(text, str) or not isinstance(topics, list) or not topics:
                raise ValueError(f"{data}:{number}: expected a 'text' string and a non-empty 'topics' list")
            rows.append((text, [str(t) for t in topics]))
    return rows


def _expand(topics: list[str], primary_only: bool = False) -> tuple[list[str], set[str]]:
    """Top-level and second-level codes of one example, first listed first; a second-level code implies
    its parent. With `primary_only`, the top level is the first of them alone."""
    top: list[str] = []
    for code in topics:
        parent = code if is_top_level(code) else vocabulary().get(code, {}).get("parent")
        if parent and parent not in top:
            top.append(parent)
    sub = {t for t in topics if not is_top_level(t)}
    return (top[:1] if primary_only else top), sub


# TF-IDF + one-vs-rest linear SVM (C=1), 2^17 hashed rows: the recipe 5-fold cross-validation preferred
# on the BBC development articles (MODEL_CARD.md). Deterministic: no seed, no shuffling.
SVM_RECIPE: dict[str, Any] = {
    "solver": "svm",
    "svm_c": 1.0,
    "svm_iterations": 300,
    "temperature": 8.0,
    "length": 2**17,
    "scale": 1.0,
}


# The shipped model's recipe (MODEL_CARD.md): SVM_RECIPE learning each article's primary subject, its
# secondary subjects as weaker positives, examples weighted as scikit-learn's "balanced", calibrated
# independent scores, and the cost C that cross-validation over topics17 chose.
DEFAULT_RECIPE: dict[str, Any] = {
    **SVM_RECIPE,
    "primary_only": True,
    "balance": 1.0,
    "secondary_weight": 0.3,
    "calibrated": True,
    "svm_c": 0.25,
}


@dataclass(frozen=True)
class Recipe:
    """How `train` fits a model; the defaults are the original Adam recipe (see `train`)."""

    solver: str = "adam"
    epochs: int = 30
    seed: int = 0
    ngram_size: int = 1
    length: int = 2**16
    scale: float = 5.0
    learn_rate: float = 0.01
    svm_c: float = 1.0
    svm_iterations: int = 300
    temperature: float = 8.0
    # Examples weigh (n / (labels × n of their first label)) ** balance in the SVM's loss: 0 is no
    # weighting, 1 is scikit-learn's "balanced", so a code seen five times is not drowned by sport.
    balance: float = 0.0
    # Learn each example's first top-level code as its subject (the archive lists the primary first):
    # one exclusive subject per article (softmax scores summing to 1 unless `calibrated`); its other codes
    # are negatives unless `secondary_weight` makes them weaker positives.
    primary_only: bool = False
    # svm only: independent per-subject scores instead of a softmax. The top level becomes multi-label
    # (logistic) with the SVM's decision values mapped by one Platt curve fitted on out-of-fold decision
    # values against every code each example lists, so a score estimates "this is one of the article's
    # topics" and a second subject can pass the threshold; the ranking, and so the first topic, is the
    # SVM's own.
    calibrated: bool = False
    # svm with primary_only: an example's other listed top-level codes are positives too, at this fraction
    # of its cost (0: they count as negatives, as any unlisted code). The primary keeps the full weight.
    secondary_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.solver not in ("adam", "svm"):
            raise ValueError(f"unknown solver {self.solver!r}: expected 'adam' or 'svm'")
        if self.calibrated and self.solver != "svm":
            raise ValueError("calibrated scores need the svm solver")

    @property
    def architecture(self) -> str:
        return "newsstreams.TfidfBOW.v1" if self.solver == "svm" else "newsstreams.NormalisedBOW.v1"

    def meta(self) -> dict[str, Any]:
        """The settings a model folder records (only those its solver used)."""
        if self.solver == "svm":
            fitted: dict[str, Any] = {
                "solver": "svm",
                "svm_c": self.svm_c,
                "svm_iterations": self.svm_iterations,
                "temperature": self.temperature,
                "balance": self.balance,
                "calibrated": self.calibrated,
                "secondary_weight": self.secondary_weight,
            }
        else:
            fitted = {"epochs": self.epochs, "seed": self.seed, "learn_rate": self.learn_rate}
        shape = {"ngram_size": self.ngram_size, "length": self.length, "scale": self.scale}
        return {**fitted, **shape, "primary_only": self.primary_only}


def train(data: Path, out: Path, *, extra_meta: dict[str, Any] | None = None, **recipe: Any) -> Path:
    """Train a topic classifier on a labelled JSONL archive and write it to `out` (see `read_labelled`).

    Top-level subjects are one exclusive `textcat` when every example has exactly one (or with
    `primary_only`), otherwise a `textcat_multilabel`; second-level codes, when present, get their own
    multi-label component. `recipe` holds `Recipe`'s fields:

    solver "adam" (NormalisedBOW.v1): `epochs` passes of spaCy's `nlp.update` in minibatches of 8, Adam
    at `learn_rate`. solver "svm" (TfidfBOW.v1): IDF weights from the texts, then a one-vs-rest linear
    SVM (squared hinge, L2, cost `svm_c`) fitted on the whole set in `svm_iterations` full-batch Adam
    steps; its decision values times `temperature` feed the softmax (or logistic) output.
    """
    chosen = Recipe(**recipe)
    rows = read_labelled(Path(data))
    nlp = fit([text for text, _ in rows], [topics for _, topics in rows], chosen)
    return write_model(nlp, out, chosen, rows, extra_meta)


def fit(texts: Sequence[str], topics: Sequence[list[str]], recipe: Recipe) -> Language:
    """A blank English pipeline with the topic components, fitted to `texts` and their codes."""
    expanded = [_expand(t, recipe.primary_only) for t in topics]
    top_labels = sorted(set().union(*(t for t, _ in expanded)))
    sub_labels = sorted(set().union(*(s for _, s in expanded)))
    if not top_labels:
        raise ValueError("no top-level IPTC subject (medtop:01000000 … medtop:17000000) to learn")
    exclusive = all(len(t) == 1 for t, _ in expanded) and len(top_labels) > 1 and not recipe.calibrated

    fix_random_seed(recipe.seed)
    nlp = spacy.blank("en")
    model_config = {
        "@architectures": recipe.architecture,
        "ngram_size": recipe.ngram_size,
        "length": recipe.length,
        "scale": recipe.scale,
    }
    components = [(TOP_COMPONENT, top_labels, exclusive, [set(t) for t, _ in expanded])]
    if sub_labels:
        components.append((SUB_COMPONENT, sub_labels, False, [s for _, s in expanded]))
    for name, labels, one_only, _ in components:
        pipe = nlp.add_pipe(
            "textcat" if one_only else "textcat_multilabel",
            name=name,
            config={"model": {**model_config, "exclusive_classes": one_only}, "threshold": 0.5},
        )
        for code in labels:
            pipe.add_label(code)  # type: ignore[attr-defined]
    # Labels were added above, so the components need no examples to size themselves.
    optimizer = nlp.initialize()
    optimizer.learn_rate = recipe.learn_rate
    docs = [nlp.make_doc(text) for text in texts]
    for name, labels, _, gold in components:
        if recipe.solver == "svm":
            weights = _balance_weights([t[0] if t else "" for t, _ in expanded], recipe.balance)
            if name == TOP_COMPONENT and recipe.primary_only and recipe.secondary_weight:
                gold, weights = _with_secondary(gold, weights, labels, topics, recipe.secondary_weight)
            _fit_svm(docs, nlp.get_pipe(name), gold, weights, recipe)
            if recipe.calibrated and name == TOP_COMPONENT:
                _calibrate(nlp.get_pipe(name), texts, topics, recipe)
        else:
            _fit_adam(nlp, docs, name, labels, gold, optimizer, recipe)
    return nlp


def _fit_adam(
    nlp: Language,
    docs: list[Doc],
    name: str,
    labels: list[str],
    gold: list[set[str]],
    sgd: Any,
    recipe: Recipe,
) -> None:
    """`epochs` shuffled passes of `nlp.update` over one component, minibatches of 8."""
    # One Example list per component: an exclusive textcat refuses gold cats with two positives, so
    # it must not see the second-level labels, and each component is updated on its own labels only.
    examples = [
        Example.from_dict(doc, {"cats": {c: float(c in g) for c in labels}})
        for doc, g in zip(docs, gold, strict=True)
    ]
    others = [n for n in nlp.pipe_names if n != name]
    rng = random.Random(recipe.seed)
    order = list(range(len(docs)))
    for _ in range(recipe.epochs):
        rng.shuffle(order)
        for batch in minibatch(order, size=8):
            nlp.update([examples[i] for i in batch], sgd=sgd, exclude=others)


def write_model(
    nlp: Language,
    out: Path,
    recipe: Recipe,
    rows: Sequence[tuple[str, list[str]]],
    extra_meta: dict[str, Any] | None = None,
) -> Path:
    """Write a fitted pipeline and its topics.json (labels, recipe, fingerprints of the training texts)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    nlp.meta["name"] = "newsstreams_topics"
    nlp.meta["description"] = "IPTC Media Topics classifier written by streams.enrichment.iptc.train"
    nlp.to_disk(out)
    # The classifier keys on hashes alone: the archive's word list is not needed to predict, so it is
    # not shipped (the research-licensed texts behind the default model stay out of the package).
    (out / "vocab" / "strings.json").write_text("[]\n", "utf-8")
    labels = [label for name in nlp.pipe_names for label in nlp.get_pipe(name).labels]  # type: ignore[attr-defined]
    meta = {
        "format": 1,
        "architecture": recipe.architecture,
        "exclusive": nlp.get_pipe(TOP_COMPONENT).__class__.__name__ == "TextCategorizer",
        "labels": {c: label_of(c) for c in labels},
        "examples": len(rows),
        **recipe.meta(),
        "trained_on": {"fingerprints": sorted({text_fingerprint(text) for text, _ in rows})},
        **(extra_meta or {}),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return out


def _balance_weights(first: Sequence[str], balance: float) -> numpy.ndarray:
    """Per-example loss weights, (n / (k · n of the example's first code)) ** balance, k codes."""
    counts = {code: first.count(code) for code in set(first)}
    return numpy.array(
        [(len(first) / (len(counts) * counts[code])) ** balance for code in first], dtype="f"
    ).reshape(-1, 1)


def _with_secondary(
    gold: list[set[str]],
    weights: numpy.ndarray,
    labels: list[str],
    topics: Sequence[list[str]],
    secondary_weight: float,
) -> tuple[list[set[str]], numpy.ndarray]:
    """Gold sets with each example's other listed codes added, and per-label costs (n × labels) that
    give those codes `secondary_weight` of the example's weight."""
    cost = numpy.repeat(weights, len(labels), axis=1)
    widened = []
    for n, (primary, listed) in enumerate(zip(gold, topics, strict=True)):
        others = [c for c in _expand(listed)[0] if c not in primary and c in labels]
        for code in others:
            cost[n, labels.index(code)] *= secondary_weight
        widened.append(primary | set(others))
    return widened, cost


def _fit_svm(
    docs: list[Doc], pipe: Any, gold: list[set[str]], weights: numpy.ndarray, recipe: Recipe
) -> None:
    """Fit a TfidfBOW component as a one-vs-rest linear SVM: IDF table first, then the sparse weights.

    Minimises 0.5·|W|² + c·Σ wᵢ·max(0, 1 − y·(W·x + b))² over every example i and label (y = ±1),
    with full-batch Adam (deterministic: no shuffling, no dropout). The weights are then multiplied by
    `temperature`, which leaves the ranking unchanged and makes the softmax scores less flat.
    """
    features, sparse = pipe.model.get_ref("features"), pipe.model.get_ref("output_layer")
    length = int(features.attrs["idf_length"])
    features.set_param("idf", numpy.ones((length,), dtype="f"))
    keys, _, lengths = features.predict(docs)
    df = numpy.zeros((length,), dtype="f")
    start = 0
    for n in lengths.tolist():
        df[numpy.unique(keys[start : start + n] % numpy.uint64(length))] += 1
        start += n
    # Smoothed IDF, as scikit-learn's TfidfVectorizer; a bucket no training text used gets the largest.
    features.set_param("idf", (numpy.log((1.0 + len(docs)) / (1.0 + df)) + 1.0).astype("f"))
    inputs = features.predict(docs)
    y = numpy.array([[1.0 if label in g else -1.0 for label in pipe.labels] for g in gold], dtype="f")
    cost = (recipe.svm_c * weights).astype("f")
    optimizer = Adam(learn_rate=0.05, L2=0.0, grad_clip=0.0, use_averages=False)
    for _ in range(recipe.svm_iterations):
        scores, backprop = sparse.begin_update(inputs)
        margin = numpy.maximum(0.0, 1.0 - y * scores)
        backprop((-2.0 * cost * y * margin).astype("f"))
        sparse.inc_grad("W", sparse.get_param("W").copy())
        sparse.finish_update(optimizer)
    sparse.set_param("W", sparse.get_param("W") * numpy.float32(recipe.temperature))
    sparse.set_param("b", sparse.get_param("b") * numpy.float32(recipe.temperature))


def _decisions(pipe: Any, docs: list[Doc]) -> numpy.ndarray:
    """The SVM's decision values (times its temperature) for each Doc and label, before the output."""
    features, sparse = pipe.model.get_ref("features"), pipe.model.get_ref("output_layer")
    return numpy.asarray(sparse.predict(features.predict(docs)))


# Out-of-fold decision values for the Platt curve come from this many folds (example n in fold n % K).
CALIBRATION_FOLDS = 3


def _calibrate(pipe: Any, texts: Sequence[str], topics: Sequence[list[str]], recipe: Recipe) -> None:
    """Fit one Platt curve sigmoid(a·d + b) on out-of-fold decision values and fold it into the weights.

    Each of CALIBRATION_FOLDS models is the same recipe without calibration, trained on the other folds;
    the target of (example, label) is whether the label is any of the example's top-level codes. The
    fitted a and b then scale the component's weights, so its logistic output is the calibrated score.
    """
    values, targets = [], []
    uncalibrated = replace(recipe, calibrated=False)
    for k in range(CALIBRATION_FOLDS):
        train_at = [n for n in range(len(texts)) if n % CALIBRATION_FOLDS != k]
        held = [n for n in range(len(texts)) if n % CALIBRATION_FOLDS == k]
        if not held or not train_at:
            continue
        model = fit([texts[n] for n in train_at], [topics[n] for n in train_at], uncalibrated)
        fold_pipe: Any = model.get_pipe(TOP_COMPONENT)
        decisions = _decisions(fold_pipe, [model.make_doc(texts[n]) for n in held])
        for row, n in zip(decisions, held, strict=True):
            codes = set(_expand(topics[n])[0])
            for label, value in zip(fold_pipe.labels, row, strict=True):
                values.append(float(value))
                targets.append(float(label in codes))
    a, b = _platt(numpy.array(values, dtype="f8"), numpy.array(targets, dtype="f8")) if values else (1.0, 0.0)
    if a <= 0:
        # Out-of-fold values that do not rank listed codes higher (a tiny archive) would invert the
        # ranking: keep the plain logistic of the decision values instead.
        a, b = 1.0, 0.0
    sparse = pipe.model.get_ref("output_layer")
    # Decision values here carry the same temperature as the fold models', so a and b apply as fitted.
    sparse.set_param("W", (sparse.get_param("W") * a).astype("f"))
    sparse.set_param("b", (sparse.get_param("b") * a + b).astype("f"))


def _platt(values: numpy.ndarray, targets: numpy.ndarray) -> tuple[float, float]:
    """a and b of sigmoid(a·value + b) minimising the log-loss, by damped Newton steps.

    Targets are smoothed as in Platt (1999), (n₊ + 1) / (n₊ + 2) and 1 / (n₋ + 2), so separable data
    (a small archive) gives a finite curve instead of a step.
    """
    positives = float(targets.sum())
    smooth = numpy.where(targets > 0.5, (positives + 1) / (positives + 2), 1 / (len(targets) - positives + 2))

    def loss(a: float, b: float) -> float:
        z = a * values + b
        return float((numpy.logaddexp(0.0, z) - smooth * z).sum())

    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + numpy.exp(-numpy.clip(a * values + b, -50, 50)))
        w = p * (1.0 - p) + 1e-12
        grad = numpy.array([((p - smooth) * values).sum(), (p - smooth).sum()])
        hess = numpy.array(
            [[(w * values * values).sum() + 1e-9, (w * values).sum()], [(w * values).sum(), w.sum() + 1e-9]]
        )
        step, size = numpy.linalg.solve(hess, grad), 1.0
        while size > 1e-6 and loss(a - size * step[0], b - size * step[1]) > loss(a, b):
            size /= 2
        a, b = a - size * float(step[0]), b - size * float(step[1])
        if size * abs(step).max() < 1e-9:
            break
    return a, b


# --- key phrases -------------------------------------------------------------------------------------

# Heads that make a phrase say nothing about the story on their own.
_STOP_HEADS = frozenset(
    {
        *("time", "times", "year", "years", "day", "days", "week", "weeks", "month", "months"),
        *("people", "thing", "things", "way", "ways", "lot", "lots", "part", "number", "kind", "sort"),
        *("end", "side", "case", "point", "fact", "place", "today", "yesterday", "tomorrow"),
        *("moment", "need", "reason", "issue", "matter", "question", "thing", "something", "anything"),
    }
)
_DROP_POS = frozenset({"DET", "PRON", "PUNCT", "NUM", "SYM", "SPACE", "CCONJ", "ADP"})
# A phrase headed by a name is an entity; the entities stage publishes those (people, organisations,
# places), so key phrases keep to what the story is about: "iranian nuclear deal", "cyber attack".
_NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})


# Characters that stand between table cells when a page's table is flattened to text.
_CELL_RULES = frozenset({"|", "||", "¦"})


def _within_one_segment(span: Span) -> list[Token]:
    """The tokens of `span` in the same paragraph as its head (the parser can run a chunk across one)."""
    runs: list[list[Token]] = [[]]
    for token in span:
        if token.is_space:
            runs.append([])
        else:
            runs[-1].append(token)
    return next((run for run in runs if span.root in run), runs[-1])


def normalise_phrase(span: Span) -> str | None:
    """The counting form of a noun phrase: lowercase, no determiners or possessives, head lemmatised.

    "the Iranian nuclear deal" and "Iranian nuclear deals" both give "iranian nuclear deal"; a phrase
    that is only pronouns, numbers or stop words, or that names a person, organisation or place,
    gives None.
    """
    root = span.root
    if root.pos_ == "PROPN" or root.ent_type_ in _NAMED:
        return None
    tokens = _within_one_segment(span)
    if any(t.text in _CELL_RULES for t in tokens):
        return None  # a table's header or row run together ("ticker | security |"), not a phrase
    # A possessive inside the phrase: keep what is owned ("Russia's cyber attacks" -> "cyber attacks").
    owner = [i for i, t in enumerate(tokens) if t.tag_ == "POS" or t.dep_ == "poss"]
    if owner:
        tokens = tokens[max(owner) + 1 :]
    # Leading determiners, numbers, symbols ("% to 90 %") and stop words go, and trailing punctuation.
    while tokens and (tokens[0].pos_ in _DROP_POS or tokens[0].is_stop or not tokens[0].is_alpha):
        tokens = tokens[1:]
    while tokens and tokens[-1].pos_ in _DROP_POS:
        tokens = tokens[:-1]
    if not tokens or all(t.is_stop or not t.is_alpha for t in tokens):
        return None
    head = tokens[-1]
    # Plural common nouns fold to their lemma ("deals" -> "deal").
    last = head.lemma_ if head.pos_ == "NOUN" and head.lemma_ else head.text
    # Words keep the spacing they were written with: "customer-centric", not "customer - centric".
    written = "".join(t.text_with_ws for t in tokens[:-1]) + last
    phrase = " ".join(written.split()).lower().strip(" -'\"‘’“”")
    if len(phrase) < 3 or (len(tokens) == 1 and (head.lemma_.lower() in _STOP_HEADS or head.is_stop)):
        return None
    return phrase


def keyphrases(parsed: ParsedArticle, limit: int = 10) -> list[str]:
    """The article's key phrases from the shared parse, most mentioned first.

    Mentions in the headline or standfirst count three times; multi-word phrases win ties over single
    nouns, then the earlier first mention.
    """
    doc = parsed.doc
    if not doc.has_annotation("DEP"):
        return []
    lead_end = max((s.end for s in parsed.segments if s.section != "body"), default=0)
    score: dict[str, int] = {}
    first: dict[str, int] = {}
    for chunk in doc.noun_chunks:
        phrase = normalise_phrase(chunk)
        if phrase is None:
            continue
        score[phrase] = score.get(phrase, 0) + (3 if chunk.start_char < lead_end else 1)
        first.setdefault(phrase, chunk.start_char)
    ranked = sorted(score, key=lambda p: (-score[p], -p.count(" "), first[p]))
    return ranked[:limit]
