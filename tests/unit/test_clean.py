"""Clean stage: the seed article, the reject matrix, ninjs input, normalisation, HTML and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams.cleaning.clean import (
    clean,
    fingerprint,
    normalise,
    parse_byline,
    parse_date,
    rule_reason,
)
from streams.cleaning.raw import parse_raw
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle
from tests.conftest import raw_article

LIMIT = 200_000
PARAGRAPH = (
    "The city council voted on Tuesday to expand the bus network across the northern districts, "
    "after months of debate about the cost of the new routes and the timetable for the work."
)


def _process(value: bytes, **options: Any) -> CleanArticle:
    return clean(parse_raw(value, max_body_bytes=LIMIT), pipeline_version="test", **options)


# --- the seed -------------------------------------------------------------------------------------


def test_seed_gives_the_expected_clean_section(seed_raw_bytes: bytes, seed_expected: dict[str, Any]) -> None:
    want = seed_expected["clean"]
    article = _process(seed_raw_bytes)

    assert article.headline == want["headline"]
    assert article.standfirst is not None and want["standfirst_contains"] in article.standfirst
    assert [(b.name, b.role) for b in article.byline] == [(want["byline"]["name"], want["byline"]["role"])]
    assert article.published_at is not None
    assert article.published_at.isoformat() == want["published_at"]
    assert article.media_captions == [want["media_caption"]]
    assert len(article.paragraphs) == want["body_paragraphs"]
    assert article.paragraphs[0].startswith(want["body_first_paragraph_starts"])
    assert article.paragraphs[-1].startswith(want["body_last_paragraph_starts"])
    for text in want["boilerplate_removed"]:
        assert not any(text in p for p in article.paragraphs), text
        assert any(text in r.text for r in article.removed), text
    assert article.language == "en"
    assert article.article_id == "independent.co.uk/boris-johnson-sergei-lavrov-moscow-2017-12-22"
    assert article.version == 1


def test_seed_removals_carry_named_reasons(seed_raw_bytes: bytes) -> None:
    reasons = {r.text: r.reason for r in _process(seed_raw_bytes).removed}
    assert reasons["Support truly independent journalism"] == "donation_appeal"
    assert reasons["Louise Thomas"] == "repeated_name"
    assert reasons["Join our commenting forum"] == "comments_footer"
    assert reasons["Thank you for registering"] == "login_prompt"


def test_seed_is_deterministic(seed_raw_bytes: bytes) -> None:
    first, second = _process(seed_raw_bytes), _process(seed_raw_bytes)
    assert first.event_id == second.event_id
    assert first.content_hash == second.content_hash
    assert (
        _process(seed_raw_bytes).event_id
        != clean(parse_raw(seed_raw_bytes, max_body_bytes=LIMIT), pipeline_version="other").event_id
    )


# --- bad input ------------------------------------------------------------------------------------

FRENCH = (
    "Le gouvernement a annoncé mardi une nouvelle réforme des retraites, qui suscite déjà la colère des "
    "syndicats. Les manifestations prévues la semaine prochaine pourraient rassembler des centaines de "
    "milliers de personnes dans toutes les grandes villes du pays, selon les organisateurs."
)
GERMAN = (
    "Die Bundesregierung hat am Dienstag ein neues Gesetz zur Förderung erneuerbarer Energien beschlossen. "
    "Nach Angaben des Ministeriums sollen in den kommenden Jahren zahlreiche neue Windparks an der Küste "
    "entstehen, die Millionen Haushalte mit Strom versorgen könnten."
)

BAD_INPUTS = [
    ("malformed_json", b'{"id": "a1", "source": ', Reason.MALFORMED_JSON),
    ("not_an_object", b'["a", "b"]', Reason.NOT_AN_OBJECT),
    (
        "missing_id",
        orjson.dumps({"source": "s", "content_type": "text/plain", "body": "x"}),
        Reason.MISSING_FIELD,
    ),
    (
        "missing_body",
        orjson.dumps({"id": "a", "source": "s", "content_type": "text/plain"}),
        Reason.MISSING_FIELD,
    ),
    ("blank_source", raw_article(PARAGRAPH, source="  "), Reason.MISSING_FIELD),
    ("body_not_string", raw_article("x").replace(b'"body":"x"', b'"body":42'), Reason.WRONG_TYPE),
    ("headline_not_string", raw_article(PARAGRAPH, headline=["a"]), Reason.WRONG_TYPE),
    ("version_not_int", raw_article(PARAGRAPH, version="two"), Reason.WRONG_TYPE),
    ("empty_body", raw_article("   \n\n  "), Reason.EMPTY_BODY),
    ("empty_message", b"  ", Reason.EMPTY_BODY),
    ("invalid_utf8", b'{"id": "a\xff\xfe", "source": "s"}', Reason.NOT_UTF8),
    ("nul_bytes", b"\x00\x01\x02PK\x03\x04", Reason.BINARY),
    ("control_chars", raw_article("\x01\x02\x03\x04\x05\x06\x07\x08 abc"), Reason.BINARY),
    ("escaped_nul", raw_article("text\u0000more"), Reason.BINARY),
    ("body_too_large", raw_article("word " * 50_000), Reason.TOO_LARGE),
    ("message_too_large", b" " * (LIMIT + 70 * 1024), Reason.TOO_LARGE),
    (
        "unsupported_type",
        raw_article(PARAGRAPH, content_type="application/pdf"),
        Reason.UNSUPPORTED_CONTENT_TYPE,
    ),
    (
        "html_without_text",
        raw_article(
            "<html><head><script>var x = 1;</script></head><body><div></div></body></html>",
            content_type="text/html",
        ),
        Reason.NO_TEXT,
    ),
    (
        "only_boilerplate",
        raw_article("Join our commenting forum\n\nThank you for registering"),
        Reason.NO_TEXT,
    ),
]


@pytest.mark.parametrize(
    ("value", "reason"), [(v, r) for _, v, r in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_bad_input_is_rejected_with_its_reason(value: bytes, reason: Reason) -> None:
    with pytest.raises(Rejected) as caught:
        _process(value)
    assert caught.value.reason is reason
    assert caught.value.detail


def test_too_many_paragraphs_is_rejected() -> None:
    body = "\n\n".join(f"{PARAGRAPH} Item {i}." for i in range(12))
    with pytest.raises(Rejected) as caught:
        _process(raw_article(body), max_paragraphs=10)
    assert caught.value.reason is Reason.TOO_MANY_PARAGRAPHS


def test_an_article_in_any_language_is_cleaned_with_its_language() -> None:
    # A valid article is never refused for its language: it is cleaned and says which language it is in.
    assert _process(raw_article(FRENCH)).language == "fr"
    assert _process(raw_article(GERMAN)).language == "de"
    assert _process(raw_article(PARAGRAPH, language="es")).language == "es"
    # Japanese is written without spaces: its characters, not its "words", make enough text to judge.
    japanese = "東京都は十日、新しい防災計画を発表した。計画では、大地震が起きた場合に備えて、避難所の数を増やすとしている。"
    assert _process(raw_article(japanese)).language == "ja"
    # Too short to judge: kept, with no language claimed.
    short = _process(raw_article("Bonjour à tous."))
    assert short.language is None
    # The feed's own language field is trusted over detection.
    declared = _process(raw_article(FRENCH, language="en-GB"))
    assert declared.language == "en"


# --- ninjs ----------------------------------------------------------------------------------------


def test_ninjs_document_is_mapped() -> None:
    doc = {
        "uri": "urn:newsml:example.com:20240305:storm",
        "version": "3",
        "versioncreated": "2024-03-05T16:00:00Z",
        "firstcreated": "2024-03-05T14:20:00+00:00",
        "language": "en",
        "headlines": [
            {"role": "sub", "value": "Thousands without power"},
            {"role": "main", "value": "Storm hits"},
        ],
        "bodies": [
            {"contenttype": "text/html", "value": "<p>ignored in favour of the plain text</p>"},
            {"contenttype": "text/plain", "value": f"{PARAGRAPH}\n\n{PARAGRAPH.replace('bus', 'tram')}"},
        ],
        "by": "Jane Doe",
        "copyrightholder": "Example News",
        "links": [{"rel": "canonical", "href": "https://example.com/storm"}],
    }
    raw = parse_raw(orjson.dumps(doc), max_body_bytes=LIMIT)
    assert (raw.id, raw.source, raw.content_type, raw.version) == (
        doc["uri"],
        "Example News",
        "text/plain",
        3,
    )
    assert raw.headline == "Storm hits"
    assert raw.url == "https://example.com/storm"
    article = clean(raw, pipeline_version="test")
    assert article.published_at == datetime(2024, 3, 5, 14, 20, tzinfo=UTC)
    assert [b.name for b in article.byline] == ["Jane Doe"]
    assert len(article.paragraphs) == 2
    assert article.version == 3


def test_ninjs_without_body_is_rejected_as_no_text() -> None:
    # A ninjs item may be metadata only (NTB's examples); there is no article text to clean.
    doc = {"uri": "urn:x", "headlines": [{"value": "H"}], "copyrightholder": "X"}
    with pytest.raises(Rejected) as caught:
        parse_raw(orjson.dumps(doc), max_body_bytes=LIMIT)
    assert caught.value.reason is Reason.NO_TEXT


def test_ninjs_3_camel_case_names_map_like_2x() -> None:
    doc = {
        "uri": "urn:newsml:wire.example:20240101:abc",
        "versionCreated": "2024-01-01T10:00:00+01:00",
        "firstCreated": "2024-01-01T09:00:00+01:00",
        "headlines": [{"role": "main", "value": "Council agrees budget"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH}],
        "language": "en",
    }
    raw = parse_raw(orjson.dumps(doc), max_body_bytes=LIMIT)
    assert (raw.published_at, raw.content_type, raw.headline) == (
        "2024-01-01T09:00:00+01:00",
        "text/plain",
        "Council agrees budget",
    )
    # No copyright holder or information source: a newsml URN names its provider's domain.
    assert raw.source == "wire.example"
    assert (
        parse_raw(orjson.dumps({**doc, "copyrightHolder": "Wire Ltd"}), max_body_bytes=LIMIT).source
        == "Wire Ltd"
    )
    web = {**doc, "uri": "https://news.example.org/2024/budget"}
    assert parse_raw(orjson.dumps(web), max_body_bytes=LIMIT).source == "news.example.org"


def test_ninjs_provider_object_and_html_body() -> None:
    html = f"<html><body><article><p>{PARAGRAPH}</p><p>{PARAGRAPH.replace('bus', 'rail')}</p></article></body></html>"
    doc = {
        "uri": "https://example.com/a",
        "provider": {"name": "Wire"},
        "bodies": [{"contenttype": "text/html", "value": html}],
    }
    raw = parse_raw(orjson.dumps(doc), max_body_bytes=LIMIT)
    assert (raw.source, raw.content_type, raw.url) == ("Wire", "text/html", "https://example.com/a")


# --- normalisation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cafe\u0301", "café"),  # NFC composes the accent
        ("co\u00adop\u00aderation", "cooperation"),  # soft hyphens
        ("zero\u200bwidth\u200d join\ufeff", "zerowidth join"),
        ("a  \t b\u00a0\u00a0c", "a b c"),
        ("line\r\nnext\rlast", "line\nnext\nlast"),
        ('“Quoted,” she said. ‘Single’ "plain"', '“Quoted,” she said. ‘Single’ "plain"'),
    ],
)
def test_normalise(given: str, expected: str) -> None:
    assert normalise(given) == expected


def test_fingerprint_ignores_case_space_and_digits() -> None:
    assert fingerprint("Sign up  for 3 free Issues") == fingerprint("sign up for 12 free issues")
    assert fingerprint("Sign up for free issues") != fingerprint("Sign up for paid issues")


def test_typographic_quotes_survive_cleaning() -> None:
    body = f"“We will build it,” the mayor said. {PARAGRAPH}"
    assert _process(raw_article(body)).paragraphs == [body]


# --- metadata parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Friday 22 December 2017 09:32 GMT", datetime(2017, 12, 22, 9, 32, tzinfo=UTC)),
        ("Monday 3 July 2023 14:05 BST", datetime(2023, 7, 3, 13, 5, tzinfo=UTC)),
        ("Published: 5 March 2024, 10:00 CET", datetime(2024, 3, 5, 9, 0, tzinfo=UTC)),
        ("Updated Nov. 20, 2019 at 4:15 p.m. EST", datetime(2019, 11, 20, 21, 15, tzinfo=UTC)),
        ("2024-03-05T14:20:00+02:00", datetime(2024, 3, 5, 12, 20, tzinfo=UTC)),
        ("05/03/2024 08:00", datetime(2024, 3, 5, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_date_is_timezone_aware(line: str, expected: datetime) -> None:
    when = parse_date(line)
    assert when is not None and when.utcoffset() is not None
    assert when == expected


def test_bst_is_one_hour_ahead() -> None:
    when = parse_date("Monday 3 July 2023 14:05 BST")
    assert when is not None and when.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("line", ["Deputy Political Editor", "The council met on Tuesday", "2017", ""])
def test_parse_date_refuses_non_dates(line: str) -> None:
    assert parse_date(line) is None


def test_parse_byline() -> None:
    assert [b.name for b in parse_byline("By Jane Doe and John van der Berg")] == [
        "Jane Doe",
        "John van der Berg",
    ]
    assert [b.name for b in parse_byline("Rob Merrick")] == ["Rob Merrick"]
    assert parse_byline("Deputy Political Editor") == []
    assert parse_byline("The council voted on Tuesday.") == []


def test_plain_text_with_by_line_and_other_boilerplate() -> None:
    body = "\n\n".join(
        [
            "Council expands bus network",
            "By Jane Doe, Transport Correspondent\nPublished: 5 March 2024, 10:00 CET",
            PARAGRAPH,
            "Sign up to our free Morning Briefing newsletter",
            "We use cookies to improve your experience on our site.",
            "Share this article",
            "Facebook Twitter Email",
            "Read more: Rail fares to rise in spring",
            "The new routes are due to open next year, the council said, once drivers have been hired.",
            "Photo: Jane Doe/Example News",
            "Advertisement",
        ]
    )
    article = _process(raw_article(body))
    assert article.headline == "Council expands bus network"
    assert [(b.name, b.role) for b in article.byline] == [("Jane Doe", "Transport Correspondent")]
    assert article.published_at == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert len(article.paragraphs) == 2 and article.paragraphs[0] == PARAGRAPH
    assert article.media_captions == ["Photo: Jane Doe/Example News"]
    assert [r.reason for r in article.removed] == [
        "newsletter",
        "cookie_notice",
        "social_share",
        "social_share",
        "related_links",
        "advertisement",
    ]


@pytest.mark.parametrize(
    ("paragraph", "reason"),
    [
        ("Please consider making a one-off contribution to keep our reporting free.", "donation_appeal"),
        ("Become a supporter from just £1 a month.", "donation_appeal"),
        ("Already a subscriber? Log in to continue reading.", "login_prompt"),
        ("You have reached your limit of free articles this month.", "login_prompt"),
        ("View 128 comments", "comments_footer"),
        ("Comments are closed.", "comments_footer"),
        ("Get the best stories delivered straight to your inbox.", "newsletter"),
        ("This website uses cookies to give you the best experience.", "cookie_notice"),
        ("Follow the Metro desk on Twitter and Instagram.", "social_share"),
        ("MORE: Flood warnings issued across the county", "related_links"),
        ("Storm ruins harvest as farmers count the cost [PICTURES]", "related_links"),
        ("Most read", "related_links"),
        ("Subscribe today and get unlimited access for just $1 a week.", "subscription_offer"),
        ("If you enjoyed this article, please share it with a friend.", "subscription_offer"),
        ("Have a tip? The reporter may be reached at desk@example.com.", "author_note"),
        ("Updated at 1:23 p.m.", "dateline"),
        ("© 2024 Example Media Ltd. All rights reserved.", "copyright"),
        ("Story continues below advertisement", "advertisement"),
    ],
)
def test_newsroom_boilerplate_rules(paragraph: str, reason: str) -> None:
    assert rule_reason(paragraph) == reason


def test_items_under_a_related_heading_are_links() -> None:
    body = "\n\n".join(
        [
            PARAGRAPH,
            "More:",
            "Flood warnings issued across the county",
            "Rail strike called off",
            PARAGRAPH[4:],
        ]
    )
    article = _process(raw_article(body))
    assert article.paragraphs == [PARAGRAPH, PARAGRAPH[4:]]
    assert [r.reason for r in article.removed] == ["related_links"] * 3


@pytest.mark.parametrize(
    "paragraph",
    [
        "He donated $5 million to the hospital, which named its new wing after him.",
        "“Sign up for the newsletter,” she told volunteers, “and we will keep you posted.”",
        "Related stocks fell sharply after the announcement, with the index closing 2% lower on the day, "
        "the largest fall since the spring and the third this month as investors sold out of banks and "
        "energy companies on fears that interest rates would stay high for longer than expected.",
        "The company said it would support independent retailers with grants.",
        "She had hoped to become a member of parliament before she turned forty.",
        "Each contribution to the fund was matched by the state government.",
        "Hackers logged in to his account and transferred the money overnight.",
        "The grant will help fund local journalism in rural areas, the foundation said.",
        "Users must be able to reject cookies as easily as they accept them, the regulator ruled.",
    ],
)
def test_story_sentences_are_not_boilerplate(paragraph: str) -> None:
    assert rule_reason(paragraph) is None


# --- HTML -----------------------------------------------------------------------------------------

HTML = """<!doctype html>
<html lang="en"><head>
<title>Harbour bridge reopens after repairs | The Daily Ledger</title>
<meta name="author" content="Maria Lopez">
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta property="article:published_time" content="2024-06-14T07:45:00+01:00">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>Harbour bridge reopens after repairs</h1>
<p class="byline">By Maria Lopez</p>
<p>The harbour bridge reopened to traffic on Friday morning after eight months of repairs that cost the city
more than twelve million pounds, officials confirmed at a ceremony attended by hundreds of residents.</p>
<p>Engineers replaced the corroded steel cables and resurfaced the entire deck, work that had been delayed
twice by storms during the winter and by a shortage of specialist welders in the spring.</p>
<p>Local businesses on both sides of the water said trade had fallen sharply while the bridge was closed,
and several cafés near the old ferry terminal welcomed the return of commuters and tourists alike.</p>
<p>Sign up to our Daily Ledger newsletter for the morning headlines.</p>
</article></main>
<footer><p>© 2024 The Daily Ledger. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def test_html_article_gives_metadata_and_paragraphs() -> None:
    article = _process(raw_article(HTML, content_type="text/html", url="https://ledger.example/bridge"))
    assert article.headline == "Harbour bridge reopens after repairs"
    assert [b.name for b in article.byline] == ["Maria Lopez"]
    assert article.published_at == datetime(2024, 6, 14, 6, 45, tzinfo=UTC)
    assert len(article.paragraphs) == 3
    assert article.paragraphs[0].startswith("The harbour bridge reopened to traffic on Friday morning")
    assert article.paragraphs[2].endswith("commuters and tourists alike.")
    assert not any(p == "Home" or "newsletter" in p or "©" in p for p in article.paragraphs)
    assert article.content_type == "text/html"
    assert article.language == "en"


def test_feed_metadata_wins_over_extracted_metadata() -> None:
    value = raw_article(
        HTML, content_type="text/html", headline="Bridge open again", byline="Sam Reed, Staff Writer"
    )
    article = _process(value)
    assert article.headline == "Bridge open again"
    assert [(b.name, b.role) for b in article.byline] == [("Sam Reed", "Staff Writer")]


def test_one_paragraph_a_line_when_the_text_has_no_blank_lines() -> None:
    body = "\n".join(
        [
            "Council expands bus network",
            "By Jane Doe",
            "Tuesday 5 March 2024 10:00 GMT",
            "Updated: Tuesday 5 March 2024 12:30 GMT",
            PARAGRAPH,
            PARAGRAPH.replace("bus", "tram"),
        ]
    )
    article = _process(raw_article(body))
    assert article.headline == "Council expands bus network"
    assert [b.name for b in article.byline] == ["Jane Doe"]
    assert article.published_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    assert article.paragraphs == [PARAGRAPH, PARAGRAPH.replace("bus", "tram")]
    assert article.media_captions == []


def test_html_description_becomes_the_standfirst_unless_it_is_the_lede() -> None:
    teaser = "Eight months of repairs are over, and commuters are back."
    with_teaser = HTML.replace("</title>", f'</title><meta name="description" content="{teaser}">')
    assert _process(raw_article(with_teaser, content_type="text/html")).standfirst == teaser
    lede = "The harbour bridge reopened to traffic on Friday morning after eight months of repairs…"
    with_lede = HTML.replace("</title>", f'</title><meta name="description" content="{lede}">')
    assert _process(raw_article(with_lede, content_type="text/html")).standfirst is None


def test_seed_laid_out_one_line_a_paragraph(seed_raw_bytes: bytes, seed_expected: dict[str, Any]) -> None:
    # The same article from a feed that separates paragraphs with single line breaks.
    data = orjson.loads(seed_raw_bytes)
    data["body"] = "\n".join(line for line in data["body"].split("\n") if line.strip())
    want = seed_expected["clean"]
    article = _process(orjson.dumps(data))
    assert article.headline == want["headline"]
    assert [(b.name, b.role) for b in article.byline] == [(want["byline"]["name"], want["byline"]["role"])]
    assert article.media_captions == [want["media_caption"]]
    assert len(article.paragraphs) == want["body_paragraphs"]
    assert article.paragraphs[0].startswith(want["body_first_paragraph_starts"])
    for text in want["boilerplate_removed"]:
        assert not any(text in p for p in article.paragraphs), text


def test_a_day_without_a_year_is_no_dateline() -> None:
    body = "\n\n".join(["Murrayfield, Edinburgh", "Saturday, 26 February", "1400 GMT", PARAGRAPH])
    article = _process(raw_article(body, headline="Scotland v Italy"))
    assert article.published_at is None
    assert article.standfirst is None
    assert parse_date("Saturday, 26 February") is None


@pytest.mark.parametrize("line", ["The Upshot", "TOP STORIES", "More Stories", "Breaking News"])
def test_headings_are_not_bylines(line: str) -> None:
    assert parse_byline(line) == []


@pytest.mark.parametrize(
    ("paragraph", "reason"),
    [
        ("(Reporting by Ada Obi in Lagos; Editing by Tom Hale)", "credit_line"),
        ("Reporting by Ada Obi; additional reporting by Jo Lee; editing by Tom Hale", "credit_line"),
        ("Additional reporting by Jo Lee", "credit_line"),
        (
            "The Gazette welcomes letters to the editor. We'd like to hear what you think of this story.",
            "editor_note",
        ),
        ("— The Riverside Senate (@RiversideSen) October 9, 2018", "embed_residue"),
        (
            "The bill is now law. pic.twitter.com/AbC123 — The Riverside Senate (@RiversideSen) Oct 9, 2018",
            "embed_residue",
        ),
        ("A post shared by Jo Lee (@jolee) on Oct 9, 2018 at 5:01pm PDT", "embed_residue"),
        # Story sentences that merely start like a credit stay.
        (
            "Reporting by the agency found that the council had overspent by a wide margin for three years.",
            None,
        ),
        ("Editing by committee is how the council ran its affairs, said the mayor, before the vote.", None),
    ],
)
def test_credit_lines_letters_notes_and_embed_residue_are_boilerplate(
    paragraph: str, reason: str | None
) -> None:
    assert rule_reason(paragraph) == reason
