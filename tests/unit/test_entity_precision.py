"""Entity precision rules (issue 25): fragments, joined names, marked products, lower-case phrases."""

from __future__ import annotations

from spacy.language import Language

from tests.unit.test_entity_rules import forced, names


def test_a_name_ending_on_a_preposition_is_a_fragment(nlp: Language) -> None:
    text = "The band joins the Hall of Fame Class of 2020 in May, with Sony Music watching."
    found = forced(nlp, text, [("Hall of Fame Class of", "ORG"), ("Sony Music", "ORG")])
    assert names(found) == {"Sony Music": "ORG"}


def test_a_capitalised_function_word_alone_is_no_name(nlp: Language) -> None:
    text = "More than ever, Google sells phones."
    found = forced(nlp, text, [("More", "ORG"), ("Google", "ORG")])
    assert names(found) == {"Google": "ORG"}


def test_a_possessive_after_a_person_or_a_place_joins_two_names(nlp: Language) -> None:
    text = "Jeff Bezos’s Blue Origin flew again, and Cleveland’s Public Auditorium was full."
    found = forced(
        nlp, text, [("Jeff Bezos’s Blue Origin", "PERSON"), ("Cleveland’s Public Auditorium", "ORG")]
    )
    assert found == []


def test_a_possessive_inside_one_name_keeps_it(nlp: Language) -> None:
    text = "The People’s Liberation Army held drills, the People’s Daily said."
    found = forced(nlp, text, [("People’s Liberation Army", "ORG"), ("People’s Daily", "ORG")])
    assert names(found) == {"People’s Liberation Army": "ORG", "People’s Daily": "ORG"}


def test_a_registered_mark_or_a_model_number_makes_a_product(nlp: Language) -> None:
    text = "Its Digital Intuition® engine runs on the Note 10 Plus, says Samsung."
    found = forced(
        nlp,
        text,
        [("Digital Intuition®", "ORG"), ("Note 10 Plus", "ORG"), ("Samsung", "ORG")],
    )
    assert names(found) == {"Digital Intuition®": "PRODUCT", "Note 10 Plus": "PRODUCT", "Samsung": "ORG"}


def test_a_phrase_the_article_writes_in_lower_case_is_no_name(nlp: Language) -> None:
    text = "Best Smart Watch deals. A smart watch tracks your steps, and Fitbit makes one."
    found = forced(nlp, text, [("Smart Watch", "ORG"), ("Fitbit", "ORG")])
    assert names(found) == {"Fitbit": "ORG"}


def test_three_capitalised_common_words_are_no_person(nlp: Language) -> None:
    text = "Dark Web Monitoring comes free, said Maria Lopez."
    found = forced(nlp, text, [("Dark Web Monitoring", "PERSON"), ("Maria Lopez", "PERSON")])
    assert names(found) == {"Maria Lopez": "PERSON"}


def test_a_plural_of_a_common_noun_is_no_person(nlp: Language) -> None:
    text = "Watches are on sale this week, Tom Williams said."
    found = forced(nlp, text, [("Watches", "PERSON"), ("Tom Williams", "PERSON")])
    assert names(found) == {"Tom Williams": "PERSON"}


def test_a_surname_ending_in_s_stays_a_person(nlp: Language) -> None:
    text = "Williams won the final on Sunday."
    found = forced(nlp, text, [("Williams", "PERSON")])
    assert names(found) == {"Williams": "PERSON"}


def test_a_name_inside_a_quoted_title_is_part_of_the_title(nlp: Language) -> None:
    text = "The band closed with “Takin’ It to the Streets” at Madison Square Garden."
    found = forced(nlp, text, [("Streets", "ORG")])
    assert found == []


def test_a_name_inside_quoted_speech_stays(nlp: Language) -> None:
    text = "“We signed with Sony Music last year,” she said."
    found = forced(nlp, text, [("Sony Music", "ORG")])
    assert names(found) == {"Sony Music": "ORG"}


def test_a_person_ending_in_a_firm_word_is_an_organisation(nlp: Language) -> None:
    text = "The lights were made by Peter Koros Design, and Damon Hill came to see them."
    found = forced(nlp, text, [("Peter Koros Design", "PERSON"), ("Damon Hill", "PERSON")])
    assert names(found) == {"Peter Koros Design": "ORG", "Damon Hill": "PERSON"}


def test_a_person_that_is_a_known_city_is_a_place(nlp: Language) -> None:
    text = "The paper is printed in Sioux Falls and read across the state."
    found = forced(nlp, text, [("Sioux Falls", "PERSON")])
    assert names(found) == {"Sioux Falls": "GPE"}


def test_a_name_the_article_uses_as_a_thing_is_a_product(nlp: Language) -> None:
    # Used ("use X"), a modifier of a product noun ("the X platform"): things, not bodies.
    text = "Every morning I use Wunderlist on the train. Its cars share the MEB platform, Volkswagen said."
    found = forced(nlp, text, [("Wunderlist", "ORG"), ("MEB", "ORG"), ("Volkswagen", "ORG")])
    assert names(found) == {"Wunderlist": "PRODUCT", "MEB": "PRODUCT", "Volkswagen": "ORG"}


def test_the_new_x_is_a_product_and_the_maker_that_announces_it_an_organisation(nlp: Language) -> None:
    text = "The new Sportback goes on sale next year, Audi announced on Monday."
    found = forced(nlp, text, [("Sportback", "ORG"), ("Audi", "ORG")])
    assert names(found) == {"Sportback": "PRODUCT", "Audi": "ORG"}


def test_a_census_surname_that_wins_a_match_or_follows_an_agent_noun_is_a_person(nlp: Language) -> None:
    # No census given name first ("Vasek", "Keetan"), but only a person wins a match or is a diver.
    text = "Vasek Pospisil edged Reilly Opelka in three sets. Later the diver Keetan Munsell won the title."
    found = forced(nlp, text, [("Vasek Pospisil", "ORG"), ("Keetan Munsell", "ORG")])
    assert names(found) == {"Vasek Pospisil": "PERSON", "Keetan Munsell": "PERSON"}


def test_a_firm_named_after_a_surname_stays_an_organisation_when_it_only_speaks(nlp: Language) -> None:
    # Speaking is what firms do too: "Goldman Sachs said" is no evidence of a person.
    text = "Goldman Sachs said profits rose."
    found = forced(nlp, text, [("Goldman Sachs", "ORG")])
    assert names(found) == {"Goldman Sachs": "ORG"}


def test_a_name_glued_to_itself_is_page_residue(nlp: Language) -> None:
    text = "Gov. Marla NoemMarla spoke, and Donald McDonald listened."
    found = forced(nlp, text, [("Marla NoemMarla", "PERSON"), ("Donald McDonald", "PERSON")])
    assert names(found) == {"Donald McDonald": "PERSON"}


def test_a_team_and_a_position_before_a_name_are_not_the_name(nlp: Language) -> None:
    text = "Jets QB Sam Darnold threw twice."
    found = forced(nlp, text, [("Jets QB Sam Darnold", "PERSON")])
    assert names(found) == {"Sam Darnold": "PERSON"}


def test_a_job_title_run_into_a_firm_is_cut_off(nlp: Language) -> None:
    text = "Founder of Ceres Robotics Inc. Mia Lopez spoke first."
    found = forced(nlp, text, [("Founder of Ceres Robotics Inc.", "ORG")])
    assert names(found) == {"Ceres Robotics Inc.": "ORG"}


def test_a_town_and_its_country_in_capitals_open_a_press_release(nlp: Language) -> None:
    # The town is no organisation: its country after a comma, both in capitals, make a dateline.
    text = "BAAR, SWITZERLAND Based on its expertise, the group sells watches."
    found = forced(nlp, text, [("BAAR", "ORG")])
    assert names(found) == {"BAAR": "GPE"}  # the only written form, so the name it keeps
