"""Entity rules for real web pages: masked reviewers, credit labels, scores, products the model mistypes."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Span

from streams.enrichment.entities import extract_entities
from streams.enrichment.nlp import parse
from streams.enrichment.quotes.attribution import extract_quotes_and_speakers
from tests.conftest import clean_article as article
from tests.unit.test_entity_rules import forced, names
from tests.unit.test_quotes import _parse


def test_a_name_hidden_by_asterisks_is_no_one(nlp: Language) -> None:
    text = "Visitors loved it. “Very cultural, a real treat!”\n– Jessica***\nThe show runs daily."
    found = forced(nlp, text, [("Jessica", "PERSON")])
    assert found == []


def test_a_masked_reviewer_after_a_quote_is_not_its_speaker(nlp: Language) -> None:
    paragraphs = [
        "“It was very fun, my cousin got to go on stage.”",
        "– Tur**",
        "“Beautiful spectacle!”",
        "– Man***",
    ]
    parsed = _parse(nlp, paragraphs)
    entities = extract_entities(parsed)
    quotes, added = extract_quotes_and_speakers(parsed, entities)
    assert [e.name for e in added] == []
    assert all(q.speaker is None for q in quotes)


def test_a_credit_label_glued_by_an_underscore_is_not_the_name(nlp: Language) -> None:
    text = "STAFF\nChoreographer_Jeong Hye Jin, Writer_Kim Min Seo and others."
    found = forced(nlp, text, [("Hye Jin", "PERSON"), ("Min Seo", "PERSON")])
    assert names(found) == {"Jeong Hye Jin": "PERSON", "Kim Min Seo": "PERSON"}


def test_a_score_split_into_three_tokens_is_cut_from_any_label(nlp: Language) -> None:
    text = "Argentina got past Chile 3-0 in Group C on Tuesday."
    found = forced(nlp, text, [("Chile 3-0", "FAC")])
    assert [(e.name, len(e.mentions[0].text)) for e in found] == [("Chile", 5)]


def test_a_streaming_service_and_a_voice_assistant_are_products(nlp: Language) -> None:
    found = extract_entities(
        parse(
            nlp, [article("Disney + launched this week, and Amazon Alexa can now play Apple Arcade games.")]
        )[0]
    )
    assert {e.name: e.type for e in found} == {
        "Disney +": "PRODUCT",
        "Amazon Alexa": "PRODUCT",
        "Apple Arcade": "PRODUCT",
    }


def test_a_tournament_named_after_a_person_is_an_event(nlp: Language) -> None:
    text = "Spain stayed alive in the Davis Cup on Thursday."
    found = forced(nlp, text, [("Davis Cup", "PERSON")])
    assert names(found) == {"Davis Cup": "EVENT"}


def test_an_airline_called_a_place_is_an_organisation(nlp: Language) -> None:
    text = "The order came from Air Astana, which flies from Almaty."
    found = forced(nlp, text, [("Air Astana", "FAC"), ("Almaty", "GPE")])
    assert names(found) == {"Air Astana": "ORG", "Almaty": "GPE"}


def test_a_tournament_group_is_not_an_organisation(nlp: Language) -> None:
    text = "France top Group A after beating Serbia."
    found = forced(nlp, text, [("Group A", "ORG"), ("France", "GPE")])
    assert names(found) == {"France": "GPE"}


def test_a_dateline_place_in_capitals_is_a_place(nlp: Language) -> None:
    # Wherever spaCy leaves it, a known place in capitals opening a dateline (before a date, a bracketed
    # credit or a dash, or a comma and region first) is where the story was filed from.
    found = forced(
        nlp,
        "BUCHAREST 1996-08-30 Romania beat Lithuania. IRVINE, Calif Oct 9 Debate ended. LAGOS — Rain fell.",
        [("BUCHAREST", "ORG"), ("Romania", "GPE"), ("Lithuania", "GPE"), ("LAGOS", "PERSON")],
    )
    assert {e.mentions[0].text: e.type for e in found} == {
        "BUCHAREST": "GPE",
        "Romania": "GPE",
        "Lithuania": "GPE",
        "IRVINE": "GPE",
        "LAGOS": "GPE",
    }


def test_capitals_that_open_no_dateline_are_left_to_spacy(nlp: Language) -> None:
    # A known place in capitals with no date, credit or dash after it is no dateline ("PARIS WINS"),
    # and an unknown word in a dateline's shape is no place ("SOCCER - ").
    found = forced(nlp, "PARIS WINS AGAIN. SOCCER - Goals came late.", [("PARIS", "ORG")])
    assert names(found) == {"PARIS": "ORG"}


def _with_place(nlp: Language, text: str, word: str) -> tuple[list[str | None], list[str | None]]:
    """Speakers' names and types of `text` when spaCy labels `word` a GPE."""
    parsed = _parse(nlp, [text])
    doc = parsed.doc
    i = next(t.i for t in doc if t.text == word)
    doc.ents = [Span(doc, i, i + 1, label="GPE")]
    quotes, _ = extract_quotes_and_speakers(parsed, extract_entities(parsed))
    return [q.speaker.name if q.speaker else None for q in quotes], [
        q.speaker.type if q.speaker else None for q in quotes
    ]


def test_an_unknown_place_that_speaks_is_a_person(nlp: Language) -> None:
    # No gazetteer knows "Nefzi", so the entity stage refuses it as a place; as the subject of "said" it is
    # the person the model misread. A place the gazetteers know stays the place it is.
    assert _with_place(nlp, "“He was not very religious,” Nefzi said.", "Nefzi") == (["Nefzi"], ["PERSON"])
    assert _with_place(nlp, "“We will respond,” Moscow said.", "Moscow") == (["Moscow"], ["GPE"])
