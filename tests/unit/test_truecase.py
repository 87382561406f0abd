"""Capital runs: entities of an all-capital headline found on the run recased as the article writes it."""

from __future__ import annotations

from spacy.language import Language

from streams.enrichment.truecase import _recased, _runs, recase_entities


def test_runs_are_three_or_more_capital_words_not_acronyms(nlp: Language) -> None:
    doc = nlp("SOCCER - JAPAN GET LUCKY WIN\n\nNATO and the U.S. met in Bonn .")
    assert [doc[lo:hi].text for lo, hi in _runs(doc)] == ["SOCCER - JAPAN GET LUCKY WIN"]


def test_words_take_the_article_form_else_names_or_lower_case() -> None:
    forms = {"japan": "Japan", "win": "win"}
    assert [_recased(w, forms) for w in ("JAPAN", "WIN", "LUCKY", "BONN", "JOHN", "-")] == [
        "Japan",
        "win",
        "lucky",
        "Bonn",
        "John",
        "-",
    ]


def test_a_capital_headline_gets_the_names_of_its_recased_form(nlp: Language) -> None:
    doc = nlp("GERMANY BEAT FRANCE IN PARIS FRIENDLY\n\nGermany beat France 2-1 in Paris on Sunday.")
    recase_entities(nlp, doc)
    headline = {(e.text, e.label_) for e in doc.ents if e.end_char < doc.text.index("\n")}
    assert ("PARIS", "GPE") in headline and ("FRANCE", "GPE") in headline
    assert doc.text.startswith("GERMANY BEAT FRANCE")  # the text itself is never changed
