"""Learned boilerplate, article versions and syndicated copies over plain dicts (as a Faust table would be)."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from streams.cleaning.boilerplate import ArticleVersions, LearnedBoilerplate, Syndication
from streams.cleaning.clean import clean, content_hash, fingerprint
from streams.events.records import RawArticle

SOURCE = "ledger.example"
FOOTER = "The Ledger Group Ltd, 12 Harbour Street, Portsmouth. Registered in England No. 4021."
PROMPT = "Enjoy unlimited reading of the Daily Ledger: your first month for just 99p."
TOPICS = [
    "harbour",
    "council",
    "school",
    "hospital",
    "railway",
    "library",
    "market",
    "stadium",
    "bridge",
    "park",
]
VERBS = ["reopened", "was criticised", "won funding", "faced delays", "was praised", "changed hands"]


def _story(i: int) -> list[str]:
    """Three body paragraphs unique to article i (seeded, so the test is deterministic)."""
    rng = random.Random(i)
    topic, verb = rng.choice(TOPICS), rng.choice(VERBS)
    return [
        f"The {topic} project in district {i} {verb} on Monday, officials said after a meeting of {rng.randint(3, 90)} "
        f"residents, and a decision on the next phase is expected within {rng.randint(2, 11)} weeks.",
        f"Critics of the plan for district {i} argued that the {rng.randint(1, 40)} million pound budget "
        f"was too small, while supporters of the {topic} scheme said it was a fair compromise.",
        f"Work in district {i} is scheduled to begin in the {rng.choice(['spring', 'summer', 'autumn'])}, "
        f"the {topic} committee confirmed in a statement published late on {rng.choice(['Tuesday', 'Friday'])}.",
    ]


def _raw(i: int) -> RawArticle:
    # The footer carries a changing issue number: fingerprints ignore digits, so it is still one paragraph.
    body = "\n\n".join([*_story(i), PROMPT, f"{FOOTER} Issue {1000 + i}."])
    return RawArticle(id=f"ledger-{i}", source=SOURCE, content_type="text/plain", body=body, language="en")


def test_shared_footer_and_prompt_are_learned_and_unique_paragraphs_never_removed() -> None:
    table: dict[str, list[str]] = {}
    learned = LearnedBoilerplate(table, threshold=5)
    for i in range(30):
        article = clean(_raw(i), pipeline_version="test", is_learned=learned.checker(SOURCE))
        learned.observe(SOURCE, article.article_id, article.paragraphs)
        removed = {r.text: r.reason for r in article.removed}
        # Every unique story paragraph survives in every article, before and after learning.
        assert article.paragraphs[:3] == _story(i)
        assert not any(r.text in _story(i) for r in article.removed)
        if i < 5:
            assert PROMPT in article.paragraphs and len(article.paragraphs) == 5
        else:
            assert article.paragraphs == _story(i)
            assert removed == {PROMPT: "learned", f"{FOOTER} Issue {1000 + i}.": "learned"}
    # The table stays bounded and JSON-able: at most threshold + 1 ids per (source, fingerprint), after
    # the last-seen time and the partition.
    assert all(len(value[2:]) <= 6 for value in table.values())
    assert json.loads(json.dumps(table)) == table


def test_one_article_alone_never_teaches_boilerplate() -> None:
    learned = LearnedBoilerplate({}, threshold=3)
    for _ in range(10):  # the same article re-sent many times
        learned.observe(SOURCE, "same-id", ["A paragraph.", "Another paragraph."])
    assert not learned.is_learned(SOURCE, fingerprint("A paragraph."))
    learned.observe(SOURCE, "second", ["A paragraph."])
    assert not learned.is_learned(SOURCE, fingerprint("A paragraph."))
    learned.observe(SOURCE, "third", ["A paragraph."])
    assert learned.is_learned(SOURCE, fingerprint("A paragraph."))
    assert not learned.is_learned("other.example", fingerprint("A paragraph."))
    assert not learned.is_learned(SOURCE, fingerprint("Another paragraph."))


def test_paragraph_repeated_inside_one_article_counts_once() -> None:
    table: dict[str, list[Any]] = {}
    learned = LearnedBoilerplate(table, threshold=2, partition=3)
    learned.observe(SOURCE, "a", ["Same line.", "same  LINE."], time=1000.0)
    assert table == {LearnedBoilerplate.key(SOURCE, fingerprint("Same line.")): [1000.0, 3, "a"]}


def test_threshold_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        LearnedBoilerplate({}, threshold=1)


def test_article_versions() -> None:
    table: dict[str, Any] = {}
    versions = ArticleVersions(table)
    assert versions.decide("a", "h1") == 1
    assert versions.decide("a", "h1") is None  # the same article again: no new event
    assert versions.decide("a", "h2") == 2
    assert versions.decide("a", "h2") is None
    assert versions.decide("a", "h1") is None  # a replayed older revision mints nothing
    assert versions.decide("a", "h3") == 3
    assert versions.decide("b", "h1") == 1  # ids are independent
    assert versions.current("a") == 3 and versions.current("missing") is None
    assert json.loads(json.dumps(table)) == table


def test_a_redelivered_input_gets_its_version_again() -> None:
    # A worker killed after the table's changelog went out but before its output did is redelivered the
    # same message: it must be processed again, not dropped as a repeat.
    table: dict[str, Any] = {}
    versions = ArticleVersions(table)
    assert versions.decide("a", "h1", origin="0:7") == 1
    assert versions.decide("a", "h1", origin="0:7") == 1  # the same message again
    assert versions.decide("a", "h1", origin="0:9") is None  # the same content in another message
    assert versions.decide("a", "h2", origin="0:12") == 2
    assert versions.decide("a", "h2", origin="0:12") == 2
    assert versions.decide("a", "h1", origin="0:7") is None  # an older revision, whatever its message
    assert versions.decide("a", "h2") is None  # no origin (process mode): plain repeat


def test_article_versions_keeps_a_bounded_history() -> None:
    table: dict[str, Any] = {}
    versions = ArticleVersions(table)
    for n in range(100):
        versions.decide("a", f"h{n}")
    assert table["a"]["version"] == 100
    assert len(table["a"]["hashes"]) == ArticleVersions.KEEP_HASHES


def test_syndicated_copy_is_found_and_distinct_articles_are_not() -> None:
    table: dict[str, Any] = {}
    syndication = Syndication(table)
    original = _story(1) + _story(2)
    assert syndication.check("wire-1", original) is None
    # A partner's copy: other id, different case and spacing, one word edited.
    copy = [p.upper() for p in original]
    copy[-1] = copy[-1].replace("CONFIRMED", "SAID")
    assert syndication.check("partner-9", copy) == "wire-1"
    assert syndication.check("other-3", _story(3) + _story(4)) is None
    # The same id again (a new version of the original) is not its own duplicate.
    assert syndication.check("wire-1", original) is None
    assert syndication.check("", []) is None
    assert json.loads(json.dumps(table)) == table


def test_content_hash_drives_versions_through_clean() -> None:
    versions = ArticleVersions({})
    first = clean(_raw(7), pipeline_version="test")
    assert versions.decide(first.article_id, first.content_hash) == 1
    assert versions.decide(first.article_id, content_hash(first.paragraphs)) is None


def test_each_copy_names_its_own_original() -> None:
    syndication = Syndication({})
    first, second = _story(11) + _story(12), _story(13) + _story(14)
    assert syndication.check("first", first) is None
    assert syndication.check("second", second) is None
    assert syndication.check("copy-of-second", list(second)) == "second"
    assert syndication.check("copy-of-first", list(first)) == "first"


def _shingles(paragraphs: list[str]) -> set[str]:
    words = re.findall(r"\w+", " ".join(paragraphs).casefold())
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def test_signature_agreement_estimates_the_shingle_jaccard_of_unrelated_bodies() -> None:
    # Two unrelated stories that share a few stock phrases: the Jaccard of their word 5-shingles, counted
    # here with sets, is small, and so must be the share of equal MinHash values. (The signature this
    # replaced agreed on 0.81 of its values for a Jaccard of 0.04, and took such stories for copies.)
    a = [
        "Amara Okafor, the finance minister of the Treasury, spoke in Nairobi on Sunday morning about the new "
        "spending plans, before an audience of 249 people.",
        "“Nobody should pretend the budget is simple, least of all after 4 meetings,” said Amara Okafor of the "
        "Treasury.",
        "Rafael Costa, the union leader of the Transport Workers Union, questioned the timetable and asked for 4 "
        "sets of figures on the budget.",
        "Critics including Rafael Costa of the Transport Workers Union said the plans for the budget came 4 "
        "months too late for Nairobi.",
        "The Treasury said it would publish its response online within 4 days.",
    ]
    b = [
        "Helen Abara, the health secretary of the Department of Health, spoke in Nairobi on Sunday at a press "
        "conference about the erosion findings, a day after 66,820 residents signed a petition.",
        "“This is a test for everyone involved in the coastline, and 9 weeks is not long,” Helen Abara told "
        "reporters in Nairobi.",
        "Residents of Nairobi said the coastline had dominated conversations since March, a poll of 66,820 "
        "found.",
        "Critics including Lukas Brandt of Northwind Energy said the plans for the coastline came 9 months too "
        "late for Nairobi.",
        "The Department of Health said it would publish its response online within 9 days.",
    ]
    jaccard = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
    syndication = Syndication({})
    x, y = syndication.signature(a), syndication.signature(b)
    agreement = sum(1 for i, j in zip(x, y, strict=True) if i == j) / len(x)
    assert jaccard < 0.2
    assert agreement < 0.35  # 64 values: a standard error of about 0.05 around the Jaccard
    assert syndication.check("a", a) is None
    assert syndication.check("b", b) is None
