"""Topic classifier, topic assignment and key phrases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.cleaning.clean import clean
from streams.cleaning.raw import parse_raw
from streams.enrichment.iptc import (
    TopicClassifier,
    TopicScore,
    assign,
    is_top_level,
    keyphrases,
    label_of,
    normalise_phrase,
    train,
    vocabulary,
)
from streams.enrichment.nlp import parse
from streams.events.records import CleanArticle

POLITICS = "medtop:11000000"


@pytest.fixture(scope="module")
def default() -> TopicClassifier:
    return TopicClassifier.load(None)


def seed_text(raw: bytes) -> str:
    article = clean(parse_raw(raw, max_body_bytes=2_000_000), pipeline_version="test")
    return "\n\n".join(p for p in (article.headline, article.standfirst, *article.paragraphs) if p)


def test_vocabulary_has_all_top_level_terms_and_parents() -> None:
    terms = vocabulary()
    top = [c for c in terms if is_top_level(c)]
    assert len(top) == 17
    assert label_of(POLITICS) == "politics"
    assert all(terms[c]["parent"] in top for c in terms if c not in top)


def test_default_model_loads_offline_and_puts_the_seed_at_politics(
    default: TopicClassifier, seed_raw_bytes: bytes, seed_expected: dict[str, Any]
) -> None:
    assert TopicClassifier.load("").meta == default.meta
    scores = default.classify(seed_text(seed_raw_bytes))
    assert scores[0].code == seed_expected["topics"]["top1"] == POLITICS
    assert scores[0].label == "politics"
    top = [s for s in scores if s.top_level]
    assert len(top) == 17
    assert [s.score for s in top] == sorted((s.score for s in top), reverse=True)
    # Calibrated scores: each subject's own estimate in 0-1, not a share of one distribution.
    assert default.meta["calibrated"] is True and default.meta["exclusive"] is False
    assert all(0.0 <= s.score <= 1.0 for s in top)


def test_classify_many_matches_classify(default: TopicClassifier) -> None:
    texts = [
        "The striker scored twice as the club won the cup final.",
        "Shares fell after the bank reported lower quarterly profits.",
    ]
    assert default.classify_many(texts) == [default.classify(t) for t in texts]
    assert default.classify_many([]) == []


def test_classify_docs_reuses_the_shared_parse(default: TopicClassifier, nlp: Any) -> None:
    texts = ["The striker scored twice as the club won the cup final.", "MPs voted on the budget."]
    docs = [nlp.make_doc(t) for t in texts]
    for by_doc, by_text in zip(default.classify_docs(docs), default.classify_many(texts), strict=True):
        assert [s.code for s in by_doc] == [s.code for s in by_text]
        assert [s.score for s in by_doc] == pytest.approx([s.score for s in by_text], abs=1e-5)
    assert all(not d.cats for d in docs)
    assert default.classify_docs([]) == []


def test_any_spacy_textcat_with_iptc_labels_loads(tmp_path: Path, default: TopicClassifier) -> None:
    default.nlp.to_disk(tmp_path / "plain")
    plain = TopicClassifier.load(tmp_path / "plain")
    assert plain.trained_on == frozenset()
    assert plain.classify("The striker scored.")[0].label == "sport"


def test_assign_keeps_the_best_always_and_ranks() -> None:
    scores = [
        TopicScore("medtop:15000000", "sport", 0.1),
        TopicScore(POLITICS, "politics", 0.15),
        TopicScore("medtop:04000000", "economy, business and finance", 0.05),
    ]
    only_best = assign(scores, 0.5)
    assert [(s.code, s.rank) for s in only_best] == [(POLITICS, 1)]
    both = assign(scores, 0.1)
    assert [(s.code, s.rank) for s in both] == [(POLITICS, 1), ("medtop:15000000", 2)]
    assert assign([], 0.2) == []


def test_assign_threshold_is_inclusive() -> None:
    scores = [TopicScore(POLITICS, "politics", 0.6), TopicScore("medtop:16000000", "conflict", 0.2)]
    assert [s.rank for s in assign(scores, 0.2)] == [1, 2]


def test_a_tiny_trained_model_learns_its_labels(tmp_path: Path) -> None:
    lines = [
        ("The minister won the election and parliament passed the government bill.", ["medtop:20000574"]),
        ("Voters backed the party; the prime minister called an election.", [POLITICS, "medtop:20000574"]),
        ("The goalkeeper saved a penalty and the team won the league match.", ["medtop:15000000"]),
        ("A late goal sent the football club into the cup final.", ["medtop:15000000"]),
        ("The band released a new album and the film topped the box office.", ["medtop:01000000"]),
        ("The actor starred in a comedy film shown at the festival.", ["medtop:01000000"]),
    ]
    data = tmp_path / "archive.jsonl"
    data.write_text("".join(json.dumps({"text": t, "topics": c}) + "\n" for t, c in lines))
    out = train(data, tmp_path / "model", epochs=10, seed=0)
    model = TopicClassifier.load(out)
    assert model.meta["exclusive"] is True
    for (_, codes), scores in zip(lines, model.classify_many(t for t, _ in lines), strict=True):
        expected_top = (
            next(c for c in codes if is_top_level(c)) if any(map(is_top_level, codes)) else POLITICS
        )
        assert scores[0].code == expected_top
    election = model.classify(lines[0][0])
    assert "medtop:20000574" in [s.code for s in election if not s.top_level]
    assert next(s.label for s in election if s.code == "medtop:20000574") == "election"


def test_the_svm_solver_learns_tfidf_weights_and_reruns_identically(tmp_path: Path) -> None:
    lines = [
        ("The minister won the election and parliament passed the government bill.", ["medtop:20000574"]),
        ("Voters backed the party; the prime minister called an election.", [POLITICS, "medtop:20000574"]),
        ("Parliament debated the government budget and the minister resigned.", [POLITICS]),
        ("The goalkeeper saved a penalty and the team won the league match.", ["medtop:15000000"]),
        ("A late goal sent the football club into the cup final.", ["medtop:15000000"]),
        ("The band released a new album and the film topped the box office.", ["medtop:01000000"]),
        ("The actor starred in a comedy film shown at the festival.", ["medtop:01000000"]),
    ]
    data = tmp_path / "archive.jsonl"
    data.write_text("".join(json.dumps({"text": t, "topics": c}) + "\n" for t, c in lines))
    out = train(data, tmp_path / "a", solver="svm", length=2**10, scale=1.0)
    again = train(data, tmp_path / "b", solver="svm", length=2**10, scale=1.0)
    for name in ("topics/model", "subtopics/model", "topics.json"):
        assert (out / name).read_bytes() == (again / name).read_bytes()
    model = TopicClassifier.load(out)
    assert model.meta["architecture"] == "newsstreams.TfidfBOW.v1"
    assert model.meta["solver"] == "svm"
    # The IDF table was learned and saved: words in every text weigh least, unused buckets most.
    idf = model.nlp.get_pipe("topics").model.get_ref("features").get_param("idf")
    assert idf.shape == (2**10,) and float(idf.min()) < float(idf.max())
    for (_, codes), scores in zip(lines, model.classify_many(t for t, _ in lines), strict=True):
        assert scores[0].code == next((c for c in codes if is_top_level(c)), POLITICS)
    election = model.classify(lines[0][0])
    assert "medtop:20000574" in [s.code for s in election if not s.top_level]
    with pytest.raises(ValueError, match="solver"):
        train(data, tmp_path / "c", solver="sgd")


def test_train_rejects_archives_without_topics(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"text": "no topics here", "topics": []}) + "\n")
    with pytest.raises(ValueError, match="topics"):
        train(data, tmp_path / "m", epochs=1)


def article(*paragraphs: str, headline: str | None = None) -> CleanArticle:
    return CleanArticle(
        event_id="e",
        article_id="a",
        version=1,
        source="test",
        content_type="text/plain",
        content_hash="h",
        paragraphs=list(paragraphs),
        headline=headline,
    )


def test_phrase_normalisation_folds_determiners_and_plurals(nlp: Any) -> None:
    one = nlp("He defended the Iranian nuclear deal.")
    two = nlp("Critics attacked Iranian nuclear deals.")
    first = next(c for c in one.noun_chunks if "deal" in c.text)
    second = next(c for c in two.noun_chunks if "deals" in c.text)
    assert normalise_phrase(first) == normalise_phrase(second) == "iranian nuclear deal"
    possessive = next(
        c for c in nlp("Russia's cyber attacks worried them.").noun_chunks if "attacks" in c.text
    )
    assert normalise_phrase(possessive) == "cyber attack"
    assert all(normalise_phrase(c) is None for c in nlp("He told them it was so.").noun_chunks)


def test_phrases_keep_their_hyphens_and_lose_leading_symbols(nlp: Any) -> None:
    doc = nlp("The bar sells 40% to 90% pure oxygen to a customer-centric crowd.")
    phrases = {normalise_phrase(c) for c in doc.noun_chunks} - {None}
    assert "customer-centric crowd" in phrases
    assert not any(p.startswith(("%", "to ")) or " - " in p for p in phrases if p)


def test_a_flattened_table_row_is_no_phrase(nlp: Any) -> None:
    doc = nlp("The fund holds these shares: ticker | security | weight.")
    phrases = {normalise_phrase(c) for c in doc.noun_chunks} - {None}
    assert not any("|" in p for p in phrases if p)


def test_keyphrases_rank_repeated_phrases_and_skip_pronouns(nlp: Any) -> None:
    parsed = parse(
        nlp,
        [
            article(
                "He said the Iranian nuclear deal must survive.",
                "Iranian nuclear deals are hard, they said, and cyber attacks continue.",
                "We discussed cyber attacks and the Iranian nuclear deal again.",
                headline="Talks on Iranian nuclear deal",
            )
        ],
    )[0]
    phrases = keyphrases(parsed, limit=5)
    assert phrases[0] == "iranian nuclear deal"
    assert "cyber attack" in phrases
    assert not {"he", "they", "we", "it"} & set(phrases)
    # Names are the entities stage's job; a chunk never runs across two paragraphs.
    assert not any(
        "johnson" in p for p in keyphrases(parse(nlp, [article("Boris Johnson met Mr Lavrov.")])[0])
    )
    assert len(keyphrases(parsed, limit=1)) == 1


def test_train_topics_command_takes_the_svm_recipe(tmp_path: Path) -> None:
    from streams.tools.cli import main

    lines = [
        ("Parliament passed the government bill after the minister spoke.", [POLITICS]),
        ("The prime minister called an election and voters backed the party.", [POLITICS]),
        ("The goalkeeper saved a penalty and the team won the league match.", ["medtop:15000000"]),
        ("A late goal sent the football club into the cup final.", ["medtop:15000000"]),
    ]
    data = tmp_path / "archive.jsonl"
    data.write_text("".join(json.dumps({"text": t, "topics": c}) + "\n" for t, c in lines))
    assert main(["train-topics", str(data), "--out", str(tmp_path / "m"), "--solver", "svm"]) == 0
    model = TopicClassifier.load(tmp_path / "m")
    assert model.meta["solver"] == "svm"
    assert model.classify("The minister lost the election.")[0].code == POLITICS


# Hand-written for these tests (not in any training data), each labelled by the IPTC definition of the
# subject it is plainly about; the shipped model must rank that subject first.
HAND_LABELLED = [
    (
        "medtop:17000000",
        "Showers and strong winds tomorrow, then a cold, frosty night with temperatures near zero.",
    ),
    (
        "medtop:15000000",
        "The midfielder scored in the second half and the home side won 2-0 to top the league.",
    ),
    (
        "medtop:04000000",
        "Shares in the retailer fell 8 percent after it cut its profit forecast for the year.",
    ),
    (
        "medtop:16000000",
        "Government troops and rebel fighters clashed near the border, and shelling killed nine soldiers.",
    ),
    (
        "medtop:02000000",
        "A jury convicted the former accountant of stealing from his clients, and the judge jailed him.",
    ),
    (
        "medtop:07000000",
        "Doctors at the hospital said the vaccine had cut infections among elderly patients.",
    ),
    (
        "medtop:12000000",
        "Worshippers filled the mosque for Friday prayers as the imam preached about charity and faith.",
    ),
    (
        "medtop:05000000",
        "Teachers said the school would hire more staff so pupils can catch up on reading and maths.",
    ),
    (
        "medtop:09000000",
        "Bus drivers walked out in a strike over pay after their union rejected the company's offer.",
    ),
]


@pytest.mark.parametrize(("code", "text"), HAND_LABELLED, ids=[c for c, _ in HAND_LABELLED])
def test_the_default_model_ranks_hand_labelled_subjects_first(
    default: TopicClassifier, code: str, text: str
) -> None:
    assert default.classify(text)[0].code == code


def test_the_default_model_knows_all_seventeen_subjects(default: TopicClassifier) -> None:
    top = [s for s in default.classify("A short story.") if s.top_level]
    assert sorted(s.code for s in top) == sorted(c for c in vocabulary() if is_top_level(c))


def test_balance_weights_follow_the_balanced_rule() -> None:
    from streams.enrichment.iptc import _balance_weights

    # 4 examples, 2 codes: a code seen 3 times weighs 4 / (2 * 3), the one seen once 4 / (2 * 1).
    first = ["medtop:15000000"] * 3 + ["medtop:17000000"]
    assert _balance_weights(first, 1.0).ravel().tolist() == pytest.approx([2 / 3] * 3 + [2.0])
    assert _balance_weights(first, 0.5).ravel().tolist() == pytest.approx([(2 / 3) ** 0.5] * 3 + [2**0.5])
    assert _balance_weights(first, 0.0).ravel().tolist() == [1.0] * 4


def test_primary_only_learns_the_first_listed_subject_exclusively(tmp_path: Path) -> None:
    sport, economy, politics = "medtop:15000000", "medtop:04000000", POLITICS
    lines = [
        ("The club sold its striker for a record fee and its shares rose.", [sport, economy]),
        ("The goalkeeper saved a penalty and the team won the league match.", [sport]),
        ("Shares fell after the bank reported lower quarterly profits.", [economy]),
        ("The central bank raised interest rates as inflation rose.", [economy, politics]),
        ("Parliament passed the government bill after the minister spoke.", [politics]),
        ("The prime minister called an election and voters backed the party.", [politics]),
    ]
    data = tmp_path / "archive.jsonl"
    data.write_text("".join(json.dumps({"text": t, "topics": c}) + "\n" for t, c in lines))
    model = TopicClassifier.load(train(data, tmp_path / "m", solver="svm", length=2**10, primary_only=True))
    assert model.meta["exclusive"] is True and model.meta["primary_only"] is True
    for (_, codes), scores in zip(lines, model.classify_many(t for t, _ in lines), strict=True):
        assert scores[0].code == codes[0]
        assert sum(s.score for s in scores if s.top_level) == pytest.approx(1.0, abs=1e-4)
    # Without it, an article listed under two subjects makes the top level multi-label.
    both = TopicClassifier.load(train(data, tmp_path / "b", solver="svm", length=2**10))
    assert both.meta["exclusive"] is False


FEED = Path(__file__).resolve().parents[2] / "samples" / "feed.jsonl"


def feed_line(id_part: str) -> bytes:
    return next(line for line in FEED.read_bytes().splitlines() if id_part.encode() in line)


def test_the_sample_feed_bittern_and_flood_defence_stories_are_environment(
    default: TopicClassifier,
) -> None:
    from streams.settings import Settings

    environment = "medtop:06000000"
    threshold = Settings().topic_threshold
    bitterns = assign(default.classify(seed_text(feed_line("fenmoor-bitterns"))), threshold)
    assert bitterns[0].code == environment
    # A minister's flood-defence fund (the issue): politics may come first, environment must be published
    # among the first two.
    flood = assign(default.classify(seed_text(feed_line("coastal-flood-defence-fund"))), threshold)
    assert environment in [s.code for s in flood[:2]]


def test_secondary_codes_become_weaker_positives() -> None:
    import numpy

    from streams.enrichment.iptc import _with_secondary

    sport, economy = "medtop:15000000", "medtop:04000000"
    labels = [economy, POLITICS, sport]
    gold, cost = _with_secondary(
        [{sport}, {economy}],
        numpy.array([[2.0], [1.0]], dtype="f"),
        labels,
        [[sport, economy], [economy, "medtop:20000574"]],
        0.25,
    )
    # The first example lists economy second: a positive at a quarter of its weight. The second lists a
    # politics subtopic, whose parent counts as a secondary code too.
    assert gold == [{sport, economy}, {economy, POLITICS}]
    assert cost.tolist() == [[0.5, 2.0, 2.0], [1.0, 0.25, 1.0]]


def test_platt_recovers_a_known_curve() -> None:
    import numpy

    from streams.enrichment.iptc import _platt

    # Targets drawn from sigmoid(2x - 1) in fixed proportions: the fitted curve is about that one.
    values, targets = [], []
    for x in numpy.linspace(-3, 3, 61):
        p = 1 / (1 + numpy.exp(-(2 * x - 1)))
        positives = round(p * 200)
        values += [x] * 200
        targets += [1.0] * positives + [0.0] * (200 - positives)
    a, b = _platt(numpy.array(values), numpy.array(targets))
    assert a == pytest.approx(2.0, abs=0.05) and b == pytest.approx(-1.0, abs=0.05)


def test_calibrated_scores_are_independent_and_keep_the_primary_first(tmp_path: Path) -> None:
    sport, economy = "medtop:15000000", "medtop:04000000"
    lines = [
        ("The club sold its striker for a record fee and its shares rose.", [sport, economy]),
        ("The goalkeeper saved a penalty and the team won the league match.", [sport]),
        ("A late goal sent the football club into the cup final.", [sport]),
        ("Shares fell after the bank reported lower quarterly profits.", [economy]),
        ("The central bank raised interest rates as inflation rose.", [economy, POLITICS]),
        ("The retailer's profits fell and its shares dropped.", [economy]),
        ("Parliament passed the government bill after the minister spoke.", [POLITICS]),
        ("The prime minister called an election and voters backed the party.", [POLITICS]),
        ("The minister resigned after parliament rejected the budget.", [POLITICS]),
    ]
    data = tmp_path / "archive.jsonl"
    data.write_text("".join(json.dumps({"text": t, "topics": c}) + "\n" for t, c in lines))
    out = train(
        data,
        tmp_path / "m",
        solver="svm",
        length=2**10,
        primary_only=True,
        calibrated=True,
        secondary_weight=0.3,
    )
    model = TopicClassifier.load(out)
    assert model.meta["calibrated"] is True and model.meta["exclusive"] is False
    for (_, codes), scores in zip(lines, model.classify_many(t for t, _ in lines), strict=True):
        assert scores[0].code == codes[0]
        assert all(0.0 <= s.score <= 1.0 for s in scores)
    with pytest.raises(ValueError, match="svm"):
        train(data, tmp_path / "x", calibrated=True)
