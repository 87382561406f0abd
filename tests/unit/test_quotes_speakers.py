"""Speaker attribution where spaCy's parse of the attribution goes astray, on invented sentences."""

from __future__ import annotations

from typing import Any

from streams.entities import extract_entities
from streams.nlp import parse
from streams.quotes import extract_quotes
from streams.records import CleanArticle


def _speakers(nlp: Any, paragraphs: list[str]) -> list[tuple[str | None, str | None]]:
    """(cue, speaker name) of every quote of a plain article made of `paragraphs`."""
    article = CleanArticle(
        event_id="e",
        article_id="a",
        version=1,
        source="test",
        content_type="text/plain",
        content_hash="",
        paragraphs=paragraphs,
    )
    parsed = parse(nlp, [article])[0]
    quotes = extract_quotes(parsed, extract_entities(parsed))
    return [(q.cue, q.speaker.name if q.speaker else None) for q in quotes]


def test_a_cue_added_to_a_reported_clause_continues_the_reporters_speech(nlp: Any) -> None:
    # "added" hangs on "was" (what Ruiz said), whose subject "it" names no one.
    paragraphs = [
        "Ana Ruiz spoke on Monday.",
        "Ana Ruiz said it was too early to celebrate but added, “We expect good results tonight.”",
    ]
    assert _speakers(nlp, paragraphs) == [("added", "Ana Ruiz")]


def test_a_message_introduced_by_a_relative_pronoun_speaks_for_its_issuer(nlp: Any) -> None:
    paragraphs = [
        "Carl Dunne is the mayor.",
        "In selling the plan, Carl Dunne released a video that said, “We are going to rebuild every bridge"
        " in this city.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Carl Dunne")]


def test_a_cue_the_parser_hangs_on_the_quotation_takes_the_subject_before_it(nlp: Any) -> None:
    paragraphs = [
        "Jane Cole visited Ohio.",
        "Jane Cole seemed to be ready to joke about the incident in Ohio, telling the crowd, “Some people get a"
        " little carried away, have you noticed that?”",
    ]
    assert _speakers(nlp, paragraphs) == [("telling", "Jane Cole")]


def test_an_inverted_subject_is_never_a_word_of_the_next_quotation(nlp: Any) -> None:
    paragraphs = [
        "Paul Brandt writes a column.",
        "Brandt needled the council “experts,” saying, “An expert who votes on request!”",
    ]
    assert _speakers(nlp, paragraphs) == [("saying", "Paul Brandt")]


def test_an_inverted_subject_is_the_name_in_the_phrase(nlp: Any) -> None:
    paragraphs = [
        "Lena Marsh runs the campaign.",
        "“Imagine Lena going up against both of them on the same stage,” mused Blaze co-host Lena Marsh.",
    ]
    assert _speakers(nlp, paragraphs) == [("mused", "Lena Marsh")]


def test_as_someone_put_it(nlp: Any) -> None:
    paragraphs = [
        "Tom Haley teaches law.",
        "As Tom Haley, professor of law at Yale and author of ''The Quiet Court,'' put it, ''Senate Republicans"
        " should remember that a deal today may be far better for them.''",
    ]
    assert _speakers(nlp, paragraphs) == [("put", "Tom Haley")]


def test_a_cue_loosely_attached_to_an_earlier_verb_shares_its_subject(nlp: Any) -> None:
    paragraphs = [
        "Ray Stone met the press.",
        "Ray Stone gestured as if to stop the noise, then leaned in and boomed: “Let’s defeat her in November.”",
    ]
    assert _speakers(nlp, paragraphs) == [("boomed", "Ray Stone")]
