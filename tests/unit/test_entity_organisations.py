"""What the sentence around an "organisation" says it is instead (issue 25, branch entprec3): hand-written sentences."""

from __future__ import annotations

from spacy.language import Language

from tests.unit.test_entity_rules import forced, names


def test_a_name_in_apposition_to_a_series_is_a_work(nlp: Language) -> None:
    text = "You can watch the new drama series, The Lighthouse Keeper, which airs today, Netflix said."
    found = forced(nlp, text, [("Lighthouse Keeper", "ORG"), ("Netflix", "ORG")])
    assert names(found) == {"Lighthouse Keeper": "WORK_OF_ART", "Netflix": "ORG"}


def test_a_name_before_book_is_a_work(nlp: Language) -> None:
    text = "I read the Ride & Shine book twice, said Tom Hardy."
    found = forced(nlp, text, [("Ride & Shine", "ORG"), ("Tom Hardy", "PERSON")])
    assert names(found) == {"Ride & Shine": "WORK_OF_ART", "Tom Hardy": "PERSON"}


def test_an_adverb_makes_a_title(nlp: Language) -> None:
    text = "I have been well served by using Anna Berg's The 9 Habits of Highly Effective Leaders as a guide."
    found = forced(nlp, text, [("Anna Berg", "PERSON"), ("The 9 Habits of Highly Effective Leaders", "ORG")])
    assert names(found) == {"Anna Berg": "PERSON", "9 Habits of Highly Effective Leaders": "WORK_OF_ART"}


def test_what_follows_since_the_is_an_event(nlp: Language) -> None:
    text = "The universe has cooled since the Great Flash, NASA said."
    found = forced(nlp, text, [("Great Flash", "ORG"), ("NASA", "ORG")])
    assert names(found) == {"Great Flash": "EVENT", "NASA": "ORG"}


def test_a_plural_counted_in_words_is_a_people(nlp: Language) -> None:
    text = "Officials detained a million or more Rohingyas last year, the United Nations said."
    found = forced(nlp, text, [("Rohingyas", "ORG"), ("United Nations", "ORG")])
    assert names(found) == {"Rohingyas": "NORP", "United Nations": "ORG"}


def test_colours_days_headings_tickers_and_citations_are_no_organisations(nlp: Language) -> None:
    text = (
        "Audi offers the car in Glacier Green.\n\n"
        "Open daily (Closed on Sat & Sun)\n\n"
        "| Symbol | Price |\n\n|---|---|\n\n"
        "Ascon registered shares (ASXN) are listed in Zurich.\n\n"
        "[1] Smith-Jones K. Curr Opin Cardiol. 2015."
    )
    found = forced(
        nlp,
        text,
        [("Audi", "ORG"), ("Glacier Green", "ORG"), ("Sat & Sun", "ORG"), ("Symbol", "ORG"),
         ("Ascon", "ORG"), ("ASXN", "ORG"), ("Smith-Jones K. Curr Opin Cardiol", "ORG")],
    )  # fmt: skip
    assert names(found) == {"Audi": "ORG", "Ascon": "ORG"}


def test_a_thing_owned_through_its_or_measured_by_more_is_no_organisation(nlp: Language) -> None:
    text = "Its electric Gran Sport is striking. Volvo did away with inserts in favor of more FiberLeaf."
    found = forced(nlp, text, [("Gran Sport", "ORG"), ("Volvo", "ORG"), ("FiberLeaf", "ORG")])
    assert names(found) == {"Volvo": "ORG"}


def test_words_after_a_specification_are_a_listing(nlp: Language) -> None:
    text = "Deal: Apple Watch 38mm Smart Band for $169, Walmart says."
    found = forced(nlp, text, [("Smart Band", "ORG"), ("Walmart", "ORG")])
    assert names(found) == {"Walmart": "ORG"}


def test_the_first_words_of_a_longer_name_and_a_firm_with_its_customers_are_refused(nlp: Language) -> None:
    text = (
        "The cost was reported by the Rapid City Courier Leader. "
        "Book through KLOOK today. More reviews from KLOOK Visitors!"
    )
    found = forced(nlp, text, [("Rapid City Courier", "ORG"), ("KLOOK", "ORG"), ("KLOOK Visitors", "ORG")])
    assert names(found) == {"KLOOK": "ORG"}


def test_capitalised_common_words_in_a_common_phrase_are_no_name(nlp: Language) -> None:
    text = "The band is third in the annual Reader Poll. Ben won the 200 yard Butterfly Sprint state title."
    found = forced(nlp, text, [("annual", "DATE"), ("Reader Poll", "ORG"), ("Butterfly Sprint", "ORG")])
    assert names(found) == {}


def test_organisations_in_the_same_constructions_stay_organisations(nlp: Language) -> None:
    text = (
        "The 30-year Treasury fell after FIFA ruled. His WBO featherweight title is safe, and "
        "Edward D. Jones & Co said the Fed met. Radio Red played on."
    )
    found = forced(
        nlp,
        text,
        [("Treasury", "ORG"), ("FIFA", "ORG"), ("WBO", "ORG"), ("Edward D. Jones & Co", "ORG"),
         ("Fed", "ORG"), ("Radio Red", "ORG")],
    )  # fmt: skip
    assert names(found) == {
        "Treasury": "ORG",
        "FIFA": "ORG",
        "WBO": "ORG",
        "Edward D. Jones & Co": "ORG",
        "Fed": "ORG",
        "Radio Red": "ORG",
    }


def test_a_job_title_a_given_name_or_a_plain_line_keep_an_organisation(nlp: Language) -> None:
    text = (
        "Roger Ailes (Fox News Chairman and CEO) had left. Fox News said so.\n\n"
        "― Nell Carden Grey wrote it.\n\n"
        "Vann R. Newkirk II reported it."
    )
    found = forced(
        nlp,
        text,
        [("Roger Ailes", "PERSON"), ("Fox News", "ORG"), ("Nell", "ORG"), ("Vann R. Newkirk II", "ORG")],
    )
    assert {"Fox News", "Nell", "Vann R. Newkirk II"} <= set(names(found))
