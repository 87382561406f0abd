"""Entity rules for web text: names cut at separators and scores, junk spans refused, plural "people" as groups."""

from __future__ import annotations

from spacy.language import Language

from streams.enrichment.entities import Entity, extract_entities
from streams.enrichment.nlp import ParsedArticle, article_text, parse
from tests.conftest import clean_article as article


def forced(nlp: Language, text: str, spans: list[tuple[str, str]]) -> list[Entity]:
    """Entities of `text` when spaCy gives exactly `spans` (first occurrence of each phrase, with its label)."""
    clean_article = article(text)
    body, segments = article_text(clean_article)
    doc = nlp(body)
    ents = []
    for phrase, label in spans:
        start = body.index(phrase)
        span = doc.char_span(start, start + len(phrase), label=label)
        assert span is not None, phrase
        ents.append(span)
    doc.ents = sorted(ents, key=lambda s: s.start)
    return extract_entities(ParsedArticle(clean_article, doc, segments))


def names(found: list[Entity]) -> dict[str, str]:
    return {e.name: e.type for e in found}


def test_a_score_after_a_name_is_not_part_of_it(nlp: Language) -> None:
    found = forced(
        nlp,
        "Nicolas Jarry lost. Later Pella beat Nicolas Jarry 6-4, 6-3 and Chile 3-0 went out.",
        [("Nicolas Jarry", "PERSON"), ("Nicolas Jarry 6-4", "PERSON"), ("Chile 3-0", "GPE")],
    )
    assert names(found) == {"Nicolas Jarry": "PERSON", "Chile": "GPE"}
    assert len(next(e for e in found if e.name == "Nicolas Jarry").mentions) == 2


def test_a_page_title_separator_ends_a_name(nlp: Language) -> None:
    found = forced(nlp, "Offices close at WeWork – TechCrunch reports.", [("WeWork – TechCrunch", "ORG")])
    assert names(found) == {"WeWork": "ORG"}


def test_units_urls_abbreviations_and_clauses_are_not_entities(nlp: Language) -> None:
    text = "The EV charges at 11 kW today. See https://example.com/x now. Then Garrett hit Rudolph with it."
    found = forced(
        nlp,
        text,
        [("EV", "ORG"), ("kW", "GPE"), ("https://example.com/x", "PERSON"), ("Garrett hit Rudolph", "ORG")],
    )
    assert found == []


def test_a_word_the_article_writes_in_lower_case_is_a_common_noun(nlp: Language) -> None:
    found = forced(nlp, "Meth is a problem here. Teenagers who use meth need help.", [("Meth", "PERSON")])
    assert found == []


def test_a_plural_person_is_a_team(nlp: Language) -> None:
    found = forced(nlp, "The Steelers spent Monday at home.", [("Steelers", "PERSON")])
    assert names(found) == {"Steelers": "ORG"}


def test_a_street_with_a_number_and_a_lower_case_office_name_stay(nlp: Language) -> None:
    text = "They walked down 6th Avenue past the state Department of Public Safety."
    found = forced(nlp, text, [("6th Avenue", "FAC"), ("state Department of Public Safety", "ORG")])
    assert names(found) == {"6th Avenue": "FAC", "state Department of Public Safety": "ORG"}


def nth(text: str, word: str, n: int) -> int:
    """Character offset of the n-th (0-based) occurrence of `word` in `text`."""
    at = -1
    for _ in range(n + 1):
        at = text.index(word, at + 1)
    return at


def at_offsets(nlp: Language, text: str, spans: list[tuple[int, int, str]]) -> list[Entity]:
    clean_article = article(text)
    body, segments = article_text(clean_article)
    doc = nlp(body)
    doc.ents = [doc.char_span(a, b, label=label) for a, b, label in spans]
    return extract_entities(ParsedArticle(clean_article, doc, segments))


def test_one_name_is_one_type_in_an_article(nlp: Language) -> None:
    text = "Trump spoke on Monday. Trump said the talks would go on. Later Trump left."
    spans = [
        (nth(text, "Trump", i), nth(text, "Trump", i) + 5, label)
        for i, label in enumerate(("PERSON", "ORG", "PERSON"))
    ]
    found = at_offsets(nlp, text, spans)
    assert [(e.entity_id, e.type, len(e.mentions)) for e in found] == [("person:trump", "PERSON", 3)]


def test_a_full_name_called_an_organisation_joins_its_surname(nlp: Language) -> None:
    text = "Garrett shoved Mason Rudolph to the ground. Rudolph said he was fine."
    full, alone = text.index("Mason Rudolph"), nth(text, "Rudolph", 1)
    found = at_offsets(nlp, text, [(full, full + 13, "ORG"), (alone, alone + 7, "PERSON")])
    assert [(e.name, e.type, len(e.mentions)) for e in found] == [("Mason Rudolph", "PERSON", 2)]


def test_a_social_network_is_an_organisation_and_a_console_a_product(nlp: Language) -> None:
    found = extract_entities(
        parse(nlp, [article("Twitter can make a joke of it, but the Nintendo Switch sold out.")])[0]
    )
    assert {e.name: e.type for e in found} == {"Twitter": "ORG", "Nintendo Switch": "PRODUCT"}
