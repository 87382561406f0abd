"""What the sentence around a "person" says it is instead (issue 25, branch entprec3): hand-written sentences."""

from __future__ import annotations

from spacy.language import Language

from tests.unit.test_entity_rules import forced, names


def test_a_plural_after_the_is_a_team(nlp: Language) -> None:
    text = "Heyward said he looks forward to facing the Jaguars again, said Tom Brady."
    found = forced(nlp, text, [("Jaguars", "PERSON"), ("Tom Brady", "PERSON")])
    assert names(found) == {"Jaguars": "ORG", "Tom Brady": "PERSON"}


def test_a_name_described_as_a_group_is_an_organisation(nlp: Language) -> None:
    text = "The deal is between the league and Zentora, a group co-founded by the striker Ana Ruiz."
    found = forced(nlp, text, [("Zentora", "PERSON"), ("Ana Ruiz", "PERSON")])
    assert names(found) == {"Zentora": "ORG", "Ana Ruiz": "PERSON"}


def test_the_owner_of_a_named_person_is_an_organisation(nlp: Language) -> None:
    text = "Topeka West's Mark Olsen won the 200 yard freestyle."
    found = forced(nlp, text, [("Topeka West", "PERSON"), ("Mark Olsen", "PERSON")])
    assert names(found) == {"Topeka West": "ORG", "Mark Olsen": "PERSON"}


def test_a_possessive_a_verb_follows_is_part_of_a_firms_name(nlp: Language) -> None:
    text = "Home Depot fell. Rival Hardley's was also lower following the results."
    found = forced(nlp, text, [("Home Depot", "ORG"), ("Hardley", "PERSON")])
    assert names(found) == {"Home Depot": "ORG", "Hardley's": "ORG"}


def test_a_caption_line_names_a_work_and_its_maker(nlp: Language) -> None:
    text = "Works on show:\n\nGlass Orbit by Studio Nine\n\nStone Gate by Anna Berg\n\nGlass Orbit is a sphere of light."
    found = forced(
        nlp,
        text,
        [("Glass Orbit", "PERSON"), ("Stone Gate", "ORG"), ("Studio Nine", "ORG"), ("Anna Berg", "PERSON")],
    )
    assert names(found) == {
        "Glass Orbit": "WORK_OF_ART",
        "Stone Gate": "WORK_OF_ART",
        "Studio Nine": "ORG",
        "Anna Berg": "PERSON",
    }


def test_the_first_word_of_a_longer_name_is_no_person(nlp: Language) -> None:
    text = "The simulation ran on the Ivy Hawk supercomputer, said Paul Jones."
    found = forced(nlp, text, [("Ivy", "PERSON"), ("Paul Jones", "PERSON")])
    assert names(found) == {"Paul Jones": "PERSON"}


def test_a_name_before_a_model_number_is_no_person(nlp: Language) -> None:
    text = "Gamers like the Ravenware RX3418 monitor. The Comet E was unveiled on Sunday, Sara Lee said."
    found = forced(nlp, text, [("Ravenware", "PERSON"), ("Comet", "PERSON"), ("Sara Lee", "PERSON")])
    assert names(found) == {"Sara Lee": "PERSON"}


def test_a_name_after_a_firms_name_is_its_model(nlp: Language) -> None:
    text = "Visitors saw the Toyota Corolla Cross on its stand, said Mia Wong."
    found = forced(nlp, text, [("Toyota", "ORG"), ("Corolla Cross", "PERSON"), ("Mia Wong", "PERSON")])
    assert names(found) == {"Toyota": "ORG", "Mia Wong": "PERSON"}


def test_a_name_listed_with_plain_words_is_no_person(nlp: Language) -> None:
    text = "Choose a colour (Turquoise, Amber, or Gray) at the store, said Ben Hall."
    found = forced(nlp, text, [("Amber", "PERSON"), ("Ben Hall", "PERSON")])
    assert names(found) == {"Ben Hall": "PERSON"}


def test_a_firms_name_only_modifying_a_common_noun_is_no_person(nlp: Language) -> None:
    text = "At the front there is Audi's familiar Wideframe grille, said Jan Novak."
    found = forced(nlp, text, [("Audi", "ORG"), ("Wideframe", "PERSON"), ("Jan Novak", "PERSON")])
    assert names(found) == {"Audi": "ORG", "Jan Novak": "PERSON"}


def test_people_in_the_same_constructions_stay_people(nlp: Language) -> None:
    text = (
        "Ana Ruiz, the striker, scored. Mr Brown's was the best goal, and the Obama administration said "
        "Ana Ruiz and Tom Brady met John F. Kennedy."
    )
    found = forced(
        nlp,
        text,
        [("Ana Ruiz", "PERSON"), ("Brown", "PERSON"), ("Obama", "PERSON"), ("Tom Brady", "PERSON"),
         ("John F. Kennedy", "PERSON")],
    )  # fmt: skip
    assert names(found) == {
        "Ana Ruiz": "PERSON",
        "Brown": "PERSON",
        "Obama": "PERSON",
        "Tom Brady": "PERSON",
        "John F. Kennedy": "PERSON",
    }
