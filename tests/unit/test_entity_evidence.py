"""Evidence for a type: given names make people; unknown places and product-like people are refused."""

from __future__ import annotations

from spacy.language import Language

from streams.enrichment.entities.lexicon import is_given_name, is_place, is_surname
from tests.unit.test_entity_rules import forced, names


def test_lexicons_know_given_names_surnames_and_places() -> None:
    assert is_given_name("Diego") and is_given_name("FREDDIE") and not is_given_name("Pokemon")
    assert is_surname("Schwartzman") and not is_surname("Edition")
    assert is_place("Zürich") and is_place("CLEVELAND") and is_place("South Korea") and is_place("Bosnia")
    assert not is_place("Dashlane")


def test_a_given_name_and_a_surname_typed_organisation_are_a_person(nlp: Language) -> None:
    found = forced(
        nlp,
        "Diego Schwartzman won in two sets. The Royal Navy sent a ship.",
        [("Diego Schwartzman", "ORG"), ("Royal Navy", "ORG")],
    )
    assert names(found) == {"Diego Schwartzman": "PERSON", "Royal Navy": "ORG"}


def test_a_place_no_gazetteer_knows_is_refused_unless_written_after_in(nlp: Language) -> None:
    found = forced(
        nlp,
        "Dashlane said the flaw was fixed. Protesters gathered in Fernvale and in Boulder, and in Seoul.",
        [("Dashlane", "GPE"), ("Fernvale", "GPE"), ("Boulder", "GPE"), ("Seoul", "GPE")],
    )
    assert names(found) == {"Fernvale": "GPE", "Boulder": "GPE", "Seoul": "GPE"}
    found = forced(
        nlp, "Talks with Boulder and New York State ended.", [("Boulder", "GPE"), ("New York State", "GPE")]
    )
    assert names(found) == {"Boulder": "GPE", "New York State": "GPE"}


def test_product_like_people_are_refused(nlp: Language) -> None:
    found = forced(
        nlp,
        "The RAV4 Hybrid sold out. Tsai Ing-wen spoke. A sword and a box.",
        [("RAV4 Hybrid", "PERSON"), ("Tsai Ing-wen", "PERSON")],
    )
    assert names(found) == {"Tsai Ing-wen": "PERSON"}
    found = forced(nlp, "Pokemon Sword is out. Buy a sword.", [("Pokemon Sword", "PERSON")])
    assert names(found) == {}


def test_organisations_named_as_events_laws_things_or_two_names(nlp: Language) -> None:
    found = forced(
        nlp,
        "Deals were signed at the Dubai Air Show. The Hong Kong Human Rights and Democracy Act passed. "
        "The Ultimate Collector Series sold out. Thibaut Courtois to Real Madrid is done. Acme Widgets Inc. grew.",
        [
            ("Dubai Air Show", "ORG"),
            ("Hong Kong Human Rights and Democracy Act", "ORG"),
            ("Ultimate Collector Series", "ORG"),
            ("Thibaut Courtois to Real Madrid", "ORG"),
            ("Acme Widgets Inc.", "ORG"),
        ],
    )
    assert names(found) == {
        "Dubai Air Show": "EVENT",
        "Hong Kong Human Rights and Democracy Act": "LAW",
        "Acme Widgets Inc.": "ORG",
    }


def test_cities_in_a_results_line_or_beating_a_side_are_teams(nlp: Language) -> None:
    found = forced(
        nlp,
        "Results: Leicester 22 , Bristol 4 . Japan 2 , China 1 . Fans in Bristol cheered.",
        [("Leicester", "GPE"), ("Bristol", "GPE"), ("Japan", "GPE"), ("China", "GPE")],
    )
    assert names(found) == {"Leicester": "ORG", "Bristol": "ORG", "Japan": "GPE", "China": "GPE"}
    found = forced(
        nlp,
        "He lives in Leicester. He was born in 1970 in Bristol 12 miles away.",
        [("Leicester", "GPE"), ("Bristol", "GPE")],
    )
    assert names(found) == {"Leicester": "GPE", "Bristol": "GPE"}


def test_one_word_people_that_are_dictionary_words_or_too_short_are_refused(nlp: Language) -> None:
    found = forced(
        nlp,
        "Switch owners queued. Ali left a review. Stone smiled when Sharon Stone arrived. Charles waved.",
        [
            ("Switch", "PERSON"),
            ("Ali", "PERSON"),
            ("Sharon Stone", "PERSON"),
            ("Stone", "PERSON"),
            ("Charles", "PERSON"),
        ],
    )
    assert names(found) == {"Sharon Stone": "PERSON", "Charles": "PERSON"}


def test_a_surname_the_us_census_never_saw_still_makes_a_person(nlp: Language) -> None:
    # The census is American: "Wrzosowski" and "Fouquerel" are missing from it, yet after a given name
    # (a hyphenated pair too) a word that is neither a common word nor a place is a surname. A common
    # word after a given name ("Grace Lantern") names a thing and stays an organisation.
    assert not is_surname("Wrzosowski") and not is_surname("Fouquerel")
    found = forced(
        nlp,
        "Peter Wrzosowski won the race and Anne-Claire Fouquerel was second. Grace Lantern sponsored it.",
        [("Peter Wrzosowski", "ORG"), ("Anne-Claire Fouquerel", "ORG"), ("Grace Lantern", "ORG")],
    )
    assert names(found) == {
        "Peter Wrzosowski": "PERSON",
        "Anne-Claire Fouquerel": "PERSON",
        "Grace Lantern": "ORG",
    }


def test_a_us_state_code_is_that_state_where_it_is_a_place(nlp: Language) -> None:
    # "SD" spaCy calls a place and "NY" after "Albany," are the states (one entity with the state's
    # name); "IN" or "CO" typed ORG with no city before them are left alone.
    found = forced(
        nlp,
        "Meth is a problem in SD, South Dakota officials said. Offices in Albany, NY opened. The CO team won.",
        [("SD", "GPE"), ("South Dakota", "GPE"), ("Albany", "GPE"), ("NY", "ORG"), ("CO", "ORG")],
    )
    assert names(found) == {"South Dakota": "GPE", "Albany": "GPE", "New York": "GPE", "CO": "ORG"}
    assert len(next(e for e in found if e.name == "South Dakota").mentions) == 2


def test_a_place_that_opens_a_longer_proper_name_is_not_the_place(nlp: Language) -> None:
    # "Tulsa" before "Drillers" (a proper noun no entity covers) is the start of a team's name; "Denver"
    # after "in" is the city. In an all-capitals headline every word looks proper: "FRANCE" stays.
    found = forced(
        nlp,
        "The Tulsa Drillers won again on Sunday. Rain fell in Denver, said Kansas Gov. Laura Kelly.",
        [("Tulsa", "GPE"), ("Denver", "GPE"), ("Kansas", "GPE"), ("Laura Kelly", "PERSON")],
    )
    # A job title after a place is an office of that place: "Kansas" stays.
    assert names(found) == {"Denver": "GPE", "Kansas": "GPE", "Laura Kelly": "PERSON"}
    found = forced(nlp, "SOCCER - FRANCE BEAT MEXICO IN FRIENDLY.", [("FRANCE", "GPE")])
    assert names(found) == {"France": "GPE"}


def test_an_organisation_named_as_a_kind_of_place_is_that_place(nlp: Language) -> None:
    # A name whose last word is a structure or a piece of land ("Bridge", "Hill") is a place; an
    # organisation's own last word ("Bank") is not one.
    found = forced(
        nlp,
        "Fans filled Marlow Bridge before the match. Harwood Hill got snow. Harwood Bank lent more.",
        [("Marlow Bridge", "ORG"), ("Harwood Hill", "ORG"), ("Harwood Bank", "ORG")],
    )
    assert names(found) == {"Marlow Bridge": "FAC", "Harwood Hill": "FAC", "Harwood Bank": "ORG"}
