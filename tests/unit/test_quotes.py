"""Quote extraction on short hand-written articles through the real spaCy model and entity stage."""

from __future__ import annotations

from typing import Any, cast

import pytest

from streams.cleaning.clean import clean
from streams.cleaning.raw import parse_raw
from streams.enrichment.enrich import Enricher
from streams.enrichment.entities import extract_entities, make_entity_id
from streams.enrichment.nlp import ParsedArticle, parse
from streams.enrichment.quotes import Quote, extract_quotes, extract_quotes_and_speakers, is_title, quote_kind
from streams.events.records import EntityEvent
from streams.settings import Settings
from tests.conftest import clean_article


def _parse(
    nlp: Any, paragraphs: list[str], *, headline: str | None = None, standfirst: str | None = None
) -> ParsedArticle:
    return parse(nlp, [clean_article(*paragraphs, headline=headline, standfirst=standfirst)])[0]


def _quotes(nlp: Any, paragraphs: list[str], **kw: Any) -> tuple[ParsedArticle, list[Quote]]:
    parsed = _parse(nlp, paragraphs, **kw)
    return parsed, extract_quotes(parsed, extract_entities(parsed))


def _speaker(q: Quote) -> str | None:
    return q.speaker.name if q.speaker else None


def test_full_quote_after_attribution_with_offsets(nlp: Any) -> None:
    parsed, quotes = _quotes(
        nlp, ["Sergei Lavrov met reporters.", "“Our relations are at a low point,” Mr Lavrov said on Friday."]
    )
    [q] = quotes
    assert q.text == "Our relations are at a low point,"
    assert (q.kind, q.cue, _speaker(q)) == ("full", "said", "Sergei Lavrov")
    assert (q.section, q.paragraph) == ("body", 1)
    seg = parsed.segments[1]
    assert parsed.segment_text(seg)[q.start : q.end] == q.text
    assert parsed.doc.text[q.doc_start : q.doc_end] == q.text


def test_partial_quote_with_described_as(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Boris Johnson visited Moscow.",
            "This week, Mr Johnson described Russia as “closed, nasty, militaristic and anti-democratic”.",
        ],
    )
    [q] = quotes
    assert q.text == "closed, nasty, militaristic and anti-democratic"
    assert (q.kind, q.cue, _speaker(q)) == ("partial", "described ... as", "Boris Johnson")


def test_single_marks_are_quotes_but_apostrophes_are_not(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        ["Boris Johnson’s trip was in the '90s style and it's Johnson's first visit."],
        headline="Johnson criticised 'hostile' Russia",
    )
    [q] = quotes
    assert (q.text, q.section, q.kind) == ("hostile", "headline", "partial")
    assert q.cue == "criticised"
    assert _speaker(q) == "Boris Johnson"


def test_quote_running_over_two_paragraphs_keeps_its_speaker(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Sergei Lavrov spoke first.",
            "He insisted: “Honestly I cannot remember any actions of Russia that were aggressive.",
            "“We hear some aggressive statements from London. We never reciprocate.”",
            "The meeting ended.",
        ],
    )
    assert [q.paragraph for q in quotes] == [1, 2]
    assert quotes[1].text.startswith("We hear some aggressive statements")
    assert {_speaker(q) for q in quotes} == {"Sergei Lavrov"}
    assert all(q.kind == "full" for q in quotes)


def test_quote_interrupted_by_its_attribution(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Angela Merkel spoke to reporters in Berlin.",
            "“We will not give in,” she said. “The country is stronger than ever before.”",
        ],
    )
    assert [q.text for q in quotes] == ["We will not give in,", "The country is stronger than ever before."]
    assert [_speaker(q) for q in quotes] == ["Angela Merkel", "Angela Merkel"]


def test_straight_marks_with_a_nested_quote(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        ["\"They called it 'a disaster' and left the room,\" said Angela Merkel in Berlin."],
    )
    [q] = quotes
    assert q.text == "They called it 'a disaster' and left the room,"
    assert _speaker(q) == "Angela Merkel"


def test_two_apostrophe_newspaper_convention(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Jared Bernstein wrote about the jobs report.",
            "''We finally may be seeing some wage acceleration,'' Mr. Bernstein wrote on his blog.",
            "The economists' forecasts were wrong.",
        ],
    )
    [q] = quotes
    assert q.text == "We finally may be seeing some wage acceleration,"
    assert (q.cue, _speaker(q)) == ("wrote", "Jared Bernstein")


def test_titles_and_scare_quotes_get_no_invented_speaker(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Bernie Sanders appeared on “Face the Nation” on Sunday.",
            "Critics call the plan a “reform” of the system.",
        ],
    )
    assert all(q.speaker is None for q in quotes)
    assert "Face the Nation" not in [q.text for q in quotes]


def test_pronoun_goes_to_the_subject_not_the_nearer_object(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Boris Johnson met Sergei Lavrov in Moscow.",
            "Later, Mr Lavrov said he did “trust” Mr Johnson, but he insisted: “I cannot remember any aggression.”",
        ],
    )
    assert [(q.text, _speaker(q)) for q in quotes] == [
        ("trust", "Sergei Lavrov"),
        ("I cannot remember any aggression.", "Sergei Lavrov"),
    ]


def test_role_mention_resolves_through_entity_roles(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Foreign Secretary Boris Johnson arrived in Moscow on Friday.",
            "However, the Foreign Secretary insisted the two countries should not be “defined by these problems”.",
        ],
    )
    [q] = quotes
    assert (q.cue, _speaker(q), q.kind) == ("insisted", "Boris Johnson", "partial")


def test_subject_of_the_cue_verb_not_the_first_name(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Boris Johnson and Sergei Lavrov met in Moscow.",
            "Facing Mr Johnson across a conference table, Mr Lavrov said: “It is no secret that our relations "
            "are at a low point.”",
        ],
    )
    [q] = quotes
    assert _speaker(q) == "Sergei Lavrov"


def test_addressee_of_told(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Boris Johnson and Sergei Lavrov met in Moscow.",
            "“You prefer to talk about these reasons publicly,” Mr Lavrov told Mr Johnson.",
        ],
    )
    [q] = quotes
    assert (q.cue, _speaker(q)) == ("told", "Sergei Lavrov")
    assert q.addressee is not None and q.addressee.name == "Boris Johnson"


def test_unattributed_speaker_is_none_never_a_pronoun(nlp: Any) -> None:
    _, quotes = _quotes(nlp, ["“This is the end of an era,” he said."])
    [q] = quotes
    assert q.speaker is None and q.cue == "said"


def test_max_quotes_caps_the_list(nlp: Any) -> None:
    parsed = _parse(
        nlp, ["“One two three four,” Mr Smith said. “Five six seven eight.” “Nine ten eleven twelve.”"]
    )
    assert len(extract_quotes(parsed, [], max_quotes=2)) == 2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("at a low point", "partial"),
        ("trust", "partial"),
        ("Iran and the need to continue", "full"),
        ("Yes.", "full"),
    ],
)
def test_quote_kind(text: str, kind: str) -> None:
    assert quote_kind(text) == kind


def test_is_title() -> None:
    assert is_title("Face the Nation")
    assert is_title("An American Son.")
    assert not is_title("I think it is coming")
    assert not is_title("closed, nasty and anti-democratic")


def test_seed_article_quotes(nlp: Any, seed_raw_bytes: bytes, seed_expected: dict[str, Any]) -> None:
    article = clean(parse_raw(seed_raw_bytes, max_body_bytes=2_000_000), pipeline_version="test")
    parsed = parse(nlp, [article])[0]
    quotes = extract_quotes(parsed, extract_entities(parsed))
    spec = seed_expected["quotes"]
    assert spec["count_min"] <= len(quotes) <= spec["count_max"]
    for want in spec["expected"]:
        matching = [q for q in quotes if want["contains"] in q.text]
        assert matching, want["contains"]
        assert (_speaker(matching[0]), matching[0].kind) == (want["speaker"], want["kind"]), want["contains"]


def test_name_label_before_a_colon_and_after_a_dash(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Hillary Clinton and Donald Trump spoke on Monday.",
            "Clinton: “Our goal is not to contain the group but to defeat it.”",
            "“We will build a wall and make them pay for it.” ― Donald Trump",
        ],
    )
    assert [(_speaker(q), q.cue) for q in quotes] == [("Hillary Clinton", ":"), ("Donald Trump", "―")]


def test_a_name_after_a_verb_and_colon_is_not_the_speaker(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Donald Trump spoke to CNN on Monday.",
            "On Saturday, Mr. Trump said on Twitter: “The system is rigged.”",
        ],
    )
    [q] = quotes
    assert _speaker(q) == "Donald Trump"


def test_article_titles_with_a_byline_are_not_quotes(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp, ['—"An NYPD sketch artist gets a gallery show," by Hyperallergic\'s Carey Dunne.']
    )
    assert quotes == []


def test_a_speaker_the_entity_stage_missed_becomes_a_new_person(nlp: Any) -> None:
    parsed = _parse(nlp, ["Theresa May said: “Brexit means Brexit and we will make a success of it.”"])
    entities = extract_entities(parsed)
    assert "person:theresa-may" not in {e.entity_id for e in entities}  # spaCy misses her here
    quotes, added = extract_quotes_and_speakers(parsed, entities)
    [q] = quotes
    [person] = added
    assert q.speaker == person
    assert (person.entity_id, person.name, person.type) == (
        make_entity_id("PERSON", "Theresa May"),
        "Theresa May",
        "PERSON",
    )
    assert [(m.text, m.doc_start) for m in person.mentions] == [("Theresa May", 0)]
    assert extract_quotes(parsed, entities) == quotes


def test_a_surname_spacy_labelled_otherwise_is_the_article_s_person(nlp: Any) -> None:
    parsed, quotes = _quotes(
        nlp,
        [
            "Sean Hannity hosted the show.",
            "Hannity interjected: “So you are saying there will be some flexibility?”",
        ],
    )
    [q] = quotes
    assert _speaker(q) == "Sean Hannity"
    assert extract_quotes_and_speakers(parsed, extract_entities(parsed))[1] == []


def test_a_name_label_the_tagger_calls_a_noun(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp, ["Harry Reid spoke on Monday.", "Reid: “We will not allow this bill to pass the Senate.”"]
    )
    [q] = quotes
    assert (_speaker(q), q.cue) == ("Harry Reid", ":")


def test_a_cue_the_parse_left_without_subject_takes_the_name_beside_it(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "The debate was tense.",
            '"I\'m not going to say it is a mistake, so forget about it," said retired neurosurgeon Ben Carson, '
            "asked about his claims.",
        ],
    )
    [q] = quotes
    assert _speaker(q) == "Ben Carson"


@pytest.mark.parametrize("subject", ["Police", "Officials"])
def test_capitalised_common_nouns_make_no_person(nlp: Any, subject: str) -> None:
    parsed = _parse(nlp, [f"“The road will stay closed for the rest of the week,” {subject} said."])
    quotes, added = extract_quotes_and_speakers(parsed, extract_entities(parsed))
    assert [q.speaker for q in quotes] == [None]
    assert added == []


def test_an_organisation_named_by_its_head_noun(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "The Ministry of Defence confirmed the move.",
            "“We are ready for any threat to the country,” the ministry said.",
        ],
    )
    [q] = quotes
    assert _speaker(q) == "Ministry of Defence"


def test_enrich_publishes_the_new_speaker_as_an_entity(nlp: Any) -> None:
    parsed = _parse(nlp, ["Theresa May said: “Brexit means Brexit and we will make a success of it.”"])
    enricher = Enricher(nlp, cast(Any, None), Settings())
    enriched = enricher._enrich(parsed, [], {})
    events = [o.event for o in enriched.outgoing if isinstance(o.event, EntityEvent)]
    ids = [e.entity_id for e in events]
    assert "person:theresa-may" in ids
    assert len(ids) == len(set(ids))


def test_a_dash_label_glued_to_the_closing_mark(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Readers wrote to us.",
            "“He is ignorant of our culture and lives and he makes blanket statements.”― Pamela Padilla",
            "“We should all vote in November.”",
        ],
    )
    assert [(_speaker(q), q.cue) for q in quotes] == [("Pamela Padilla", "―"), (None, None)]


def test_whoever_issued_a_statement_said_it(nlp: Any) -> None:
    _, quotes = _quotes(
        nlp,
        [
            "Donald Trump spoke in Ohio.",
            "Mr. Trump issued a statement Tuesday saying, “I do not feel that one's heritage makes them incapable.”",
        ],
    )
    [q] = quotes
    assert (_speaker(q), q.cue) == ("Donald Trump", "saying")
