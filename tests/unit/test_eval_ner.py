"""NER metric: CoNLL reading, IOB1 chunks, conlleval-style scoring, and one tiny end-to-end run."""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language

from streams.enrichment.nlp import parse
from streams.settings import Settings
from streams.tools.evaluation import ner

# A hand-made two-document file in the CoNLL-2003 layout (token, POS, chunk, IOB1 tag).
CONLL = """-DOCSTART- -X- O O

Sergei NNP I-NP I-PER
Lavrov NNP I-NP I-PER
met VBD I-VP O
Boris NNP I-NP I-PER
Johnson NNP I-NP I-PER
in IN I-PP O
Moscow NNP I-NP I-LOC
. . O O

Mr NNP I-NP O
Lavrov NNP I-NP I-PER
spoke VBD I-VP O
. . O O

-DOCSTART- -X- O O

Germany NNP I-NP I-LOC

France NNP I-NP I-LOC
beat VBD I-VP O
the DT I-NP O
European NNP I-NP I-MISC
Union NNP I-NP I-ORG
. . O O
"""


def write(tmp_path: Path) -> Path:
    (tmp_path / "ner").mkdir()
    (tmp_path / "ner" / "conll2003.txt").write_text(CONLL, encoding="utf-8")
    return tmp_path


def test_iob1_chunks_start_at_i_after_o_or_another_type_and_at_b() -> None:
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-ORG", "B-ORG", "I-MISC"]
    assert ner.chunks(tags) == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "LOC"),
        (5, 7, "ORG"),
        (7, 8, "ORG"),
        (8, 9, "MISC"),
    ]
    assert ner.chunks(["B-PER", "I-PER", "O"]) == [(0, 2, "PER")]  # IOB2 reads the same
    assert ner.chunks([]) == []


def test_documents_join_tokens_with_spaces_and_chunks_stop_at_sentence_ends(tmp_path: Path) -> None:
    docs = ner.read_conll(write(tmp_path) / "ner" / "conll2003.txt")
    assert len(docs) == 2
    first, second = docs
    assert first.text().startswith("Sergei Lavrov met Boris Johnson in Moscow . Mr Lavrov spoke .")
    text = first.text()
    assert {text[s:e] + "/" + label for s, e, label in first.gold()} == {
        "Sergei Lavrov/PER",
        "Boris Johnson/PER",
        "Moscow/LOC",
        "Lavrov/PER",
    }
    # "Germany" and "France" are I-LOC in two sentences: two entities, not one.
    assert sorted(second.text()[s:e] for s, e, _ in second.gold()) == [
        "European",
        "France",
        "Germany",
        "Union",
    ]


def test_score_counts_exact_spans_of_the_right_type_as_conlleval_does() -> None:
    gold = {(0, 5, "PER"), (10, 15, "LOC"), (20, 25, "ORG")}
    predicted = {(0, 5, "PER"), (10, 15, "ORG"), (20, 24, "ORG"), (30, 35, "MISC")}
    result = ner.score([(gold, predicted)])
    assert result["PER"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "correct": 1,
        "predicted": 1,
        "gold": 1,
    }
    assert result["LOC"]["recall"] == 0.0 and result["LOC"]["predicted"] == 0
    assert result["ORG"]["precision"] == 0.0 and result["ORG"]["predicted"] == 2
    assert result["MISC"]["precision"] == 0.0
    micro = result["micro"]
    assert (micro["correct"], micro["predicted"], micro["gold"]) == (1, 4, 3)
    assert micro["precision"] == 0.25 and micro["recall"] == 0.3333 and micro["f1"] == 0.2857


def test_pipeline_spans_score_names_without_honorifics(nlp: Language, tmp_path: Path) -> None:
    docs = ner.read_conll(write(tmp_path) / "ner" / "conll2003.txt")
    parsed = parse(nlp, [ner._article(0, docs[0].text())])[0]
    ours = ner.pipeline_spans(parsed, max_entities=500)
    text = docs[0].text()
    assert {text[s:e] for s, e, label in ours if label == "PER"} >= {"Sergei Lavrov", "Lavrov"}
    assert "Mr Lavrov" not in {text[s:e] for s, e, _ in ours}


def test_evaluate_reports_the_stage_beside_raw_spacy(tmp_path: Path) -> None:
    result = ner.evaluate(write(tmp_path), Settings())
    assert result["documents"] == 2 and result["gold_entities"] == 8
    assert set(result["pipeline"]) >= {"PER", "LOC", "ORG", "MISC", "micro"}
    assert 0.0 <= result["pipeline"]["micro"]["f1"] <= 1.0
    lines = ner.report(result).splitlines()
    assert lines[0].startswith("CoNLL-2003: 2 documents, 8 gold entities")
    assert any(line.startswith("micro") for line in lines)
