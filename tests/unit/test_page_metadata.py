"""Page metadata: canonical URL, publisher, times with their offset and precision, from what pages declare."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.cleaning.clean import clean
from streams.cleaning.metadata import PageMeta, without_site_name
from streams.cleaning.raw import parse_raw
from streams.events.records import CleanArticle
from streams.tools import sources

JUDGED = json.loads((Path(__file__).parents[1] / "data" / "aeb-published.json").read_text())
BODY = "<p>" + " ".join(["The council voted on Tuesday to expand the bus network across the districts."] * 4)


def _page(head: str, body: str = BODY) -> str:
    return f"<html><head>{head}</head><body><article><h1>Buses</h1>{body}</p></article></body></html>"


def _clean(html: str, **fields: Any) -> CleanArticle:
    raw = {"id": "p1", "content_type": "text/html", "body": html, **fields}
    return clean(parse_raw(orjson.dumps(raw), max_body_bytes=2_000_000), pipeline_version="test")


def test_json_ld_time_keeps_its_offset_and_names_the_publisher() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "NewsArticle", "datePublished": "2019-11-18T20:19:34-05:00",
             "dateModified": "2019-11-19T09:41:00-05:00", "publisher": {"name": "Example Post"}},
        ],
    }  # fmt: skip
    article = _clean(_page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'))
    assert article.published_at == datetime.fromisoformat("2019-11-18T20:19:34-05:00")
    assert article.published_at is not None and article.published_at.utcoffset() is not None
    assert article.published_date == "2019-11-18"  # the page's own day, not UTC's 19th
    assert article.published_precision == "second"
    assert article.modified_at == datetime.fromisoformat("2019-11-19T09:41:00-05:00")
    assert article.source == "Example Post"


def test_a_page_with_only_a_date_is_not_a_midnight_timestamp() -> None:
    article = _clean(_page('<meta property="article:published_time" content="2019-11-19">'))
    assert article.published_at is None
    assert (article.published_date, article.published_precision) == ("2019-11-19", "day")


def test_placeholder_dates_are_ignored_and_a_stated_offset_beats_a_naive_time() -> None:
    head = (
        '<meta name="datePublished" content="0001-01-01T00:00:00Z">'
        '<meta name="pubdate" content="2019-11-19 19:31:39">'
        '<meta property="article:published_time" content="2019-11-18T19:14:00+00:00">'
    )
    article = _clean(_page(head))
    assert article.published_at == datetime.fromisoformat("2019-11-18T19:14:00+00:00")


def test_url_is_the_canonical_link_unless_it_names_another_site() -> None:
    same_site = '<link rel="canonical" href="https://news.example/a/1"><meta property="og:url" content="http://social.news.example/a/1">'
    assert _clean(_page(same_site)).url == "https://news.example/a/1"
    # A syndicated copy points its canonical link at the original publisher; og:url names this page.
    syndicated = '<link rel="canonical" href="https://origin.example/a/1"><meta property="og:url" content="https://portal.example/a/1">'
    assert _clean(_page(syndicated)).url == "https://portal.example/a/1"


def test_a_regional_edition_is_known_by_its_x_default_address() -> None:
    links = (
        '<link rel="canonical" href="https://www.news.example.de/a/1">'
        '<link rel="alternate" href="http://www.news.example.de/a/1" hreflang="en-DE">'
        '<link rel="alternate" href="https://www.news.example.com/a/1" hreflang="en-US">'
        '<link rel="alternate" href="https://www.news.example.com/a/1" hreflang="x-default">'
    )
    assert _clean(_page(links)).url == "https://www.news.example.com/a/1"
    # Translations at other paths are other pages; a page that is itself the x-default keeps its address.
    translated = (
        '<link rel="canonical" href="https://news.example/de/a/1">'
        '<link rel="alternate" href="https://news.example/de/a/1" hreflang="de-DE">'
        '<link rel="alternate" href="https://news.example/a/1" hreflang="x-default">'
    )
    assert _clean(_page(translated)).url == "https://news.example/de/a/1"
    default = (
        '<link rel="canonical" href="https://news.example.com/a/1">'
        '<link rel="alternate" href="https://news.example.com/a/1" hreflang="x-default">'
        '<link rel="alternate" href="https://news.example.com/a/1" hreflang="en-US">'
    )
    assert _clean(_page(default)).url == "https://news.example.com/a/1"


def test_a_title_loses_the_site_name_run_into_it() -> None:
    post = PageMeta(url="https://www.harbourpost.example/a/1", site_name="Harbour Post")
    assert without_site_name("Buses get a new route – Harbour Post", post) == "Buses get a new route"
    assert without_site_name("Harbour Post | Buses get a new route", post) == "Buses get a new route"
    # The host names the site too; a dangling separator goes.
    assert without_site_name("Ferry fares rise - harbourpost.example", post) == "Ferry fares rise"
    assert without_site_name("Deals are live, and more -", post) == "Deals are live, and more"
    # A section, or the name as a word of the story's own title, stays; so does a title that is only the name.
    assert without_site_name("Our view on buses | Editorial", post) == "Our view on buses | Editorial"
    assert (
        without_site_name("Harbour Post Gift Guide: what to buy", post)
        == "Harbour Post Gift Guide: what to buy"
    )
    assert without_site_name("Harbour Post", post) == "Harbour Post"
    # A site whose name holds a separator of its own ("Name | tagline"), before a colon.
    tagged = PageMeta(site_name="Lagos Wire | Nigeria's news desk")
    assert without_site_name("Lagos Wire | Nigeria's news desk: Port reopens", tagged) == "Port reopens"


def test_the_headline_of_a_page_is_its_title_without_the_site_name() -> None:
    head = '<title>Buses get a new route | Harbour Post</title><meta property="og:site_name" content="Harbour Post">'
    page = f"<html><head>{head}</head><body><article>{BODY}</p></article></body></html>"
    assert _clean(page).headline == "Buses get a new route"


def test_the_feed_source_wins_and_a_nameless_page_is_named_by_its_host() -> None:
    named = _page('<meta property="og:site_name" content="Example Post">')
    assert _clean(named, source="wire.example").source == "wire.example"
    hosted = _page('<link rel="canonical" href="https://www.harbour.example/a/1">')
    assert _clean(hosted).source == "harbour.example"


def test_files_without_source_leave_html_to_name_itself(tmp_path: Path) -> None:
    (tmp_path / "story.html.gz").write_bytes(gzip.compress(_page("").encode()))
    (tmp_path / "note.txt").write_text("A note.")
    read = {key: json.loads(value) for key, value in sources.read([tmp_path])}
    assert "source" not in read["page/story"] and read["page/story"]["content_type"] == "text/html"
    assert read["local/note"]["source"] == "local"
    named = {key: json.loads(value) for key, value in sources.read([tmp_path], source="harbour")}
    assert {d["source"] for d in named.values()} == {"harbour"}


# --- the aeb pages, against times read off them by hand ------------------------------------------


@pytest.fixture(scope="module")
def aeb_clean(shared_dir: Path) -> dict[str, CleanArticle]:
    from streams.cleaning.stage import State, clean_stage, intake
    from streams.settings import Settings

    settings, state, found = Settings(), State(), {}
    for key, value in sources.read([shared_dir / "eval" / "aeb" / "pages"]):
        [out] = clean_stage(intake(value, settings), settings, state)
        assert isinstance(out.event, CleanArticle), key
        found[(key or "").split("/")[-1]] = out.event
    return found


def test_published_at_is_right_to_the_minute_on_the_hand_read_pages(
    aeb_clean: dict[str, CleanArticle],
) -> None:
    assert len(JUDGED["published_at"]) >= 30
    wrong = {}
    for page_id, stated in JUDGED["published_at"].items():
        got, want = aeb_clean[page_id].published_at, datetime.fromisoformat(stated)
        if got is None or got.utcoffset() is None or got.replace(second=0, microsecond=0) != want:
            wrong[page_id] = (stated, got and got.isoformat())
    assert wrong == {}


def test_date_only_pages_say_so(aeb_clean: dict[str, CleanArticle]) -> None:
    for page_id, day in JUDGED["date_only"].items():
        article = aeb_clean[page_id]
        assert (article.published_at, article.published_date, article.published_precision) == (
            None,
            day,
            "day",
        )


def _normal(url: str | None) -> str:
    # The same page whatever the scheme, a leading www., a trailing slash or the letter case.
    return (url or "").split("://")[-1].removeprefix("www.").rstrip("/").lower()


# Pages whose HTML does not hold the address they were fetched from: Ascom's pages state no URL at all (only
# their CMS path, /content/ascom/ws/global/en-us/..., which the site rewrites). Business Insider served its
# German edition (canonical and og:url name businessinsider.de), whose x-default alternate is the .com address.
URL_NOT_ON_PAGE = {"5ae11e58", "c69e539d"}


def test_url_is_the_address_of_the_ground_truth(shared_dir: Path, aeb_clean: dict[str, CleanArticle]) -> None:
    lines = (shared_dir / "eval" / "aeb" / "ground-truth.jsonl").read_text().splitlines()
    truth = {d["id"]: d["url"] for d in map(json.loads, lines)}
    wrong = {pid[:8] for pid, url in truth.items() if _normal(aeb_clean[pid].url) != _normal(url)}
    assert wrong == URL_NOT_ON_PAGE
