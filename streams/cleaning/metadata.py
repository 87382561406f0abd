"""Page metadata of an HTML article: canonical URL, publisher name, publication and modification times.

Read from what pages declare for machines: JSON-LD (schema.org `datePublished`, `publisher`), Open Graph and
`article:*` meta tags, Dublin Core and the common newsroom tags, and `<time>` elements. trafilatura's own
metadata (htmldate) keeps only the date of most timestamps, so a story published at 20:19 New York time
came out as midnight UTC, sometimes a day early; here the time and its offset are kept as the page states
them, and a page that gives only a date says so (`precision` "day") instead of claiming midnight.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as dateparser
from lxml import html as lxml_html
from trafilatura.utils import load_html

# Meta tags naming the publication time, best first (Open Graph, then the newsroom and Dublin Core ones).
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:pubdate", "datepublished", "pubdate", "publishdate",
    "publish-date", "pub_date", "parsely-pub-date", "dcterms.created", "dc.date.issued", "dcterms.issued",
    "dc.date", "sailthru.date", "date",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "dc.date.modified",
    "last-modified",
)  # fmt: skip
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|WebPage|LiveBlogPosting", re.IGNORECASE)
# Dates before the web or sentinels such as 0001-01-01 are placeholders, not publication times.
_FIRST_YEAR = 1990
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}")
# Zone names that pages print next to times; ET is US Eastern, given as its standard offset when the
# page says no more (a page with a full offset elsewhere wins over it).
_TZINFOS = {"GMT": 0, "UTC": 0, "UT": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200, "IST": 19800,
            "EST": -18000, "EDT": -14400, "ET": -18000, "CST": -21600, "CDT": -18000, "MST": -25200,
            "MDT": -21600, "PST": -28800, "PDT": -25200}  # fmt: skip


@dataclass(frozen=True)
class Stamp:
    """A publication or modification time as the page states it.

    `when` is timezone-aware when the page gives a time of day (a time without an offset is taken as
    UTC, and `offset_stated` is False); with only a date, `when` is None and `day` holds it.
    """

    day: date
    when: datetime | None
    offset_stated: bool

    @property
    def precision(self) -> str:
        if self.when is None:
            return "day"
        return "second" if self.when.second or self.when.microsecond else "minute"


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself (each field None when it does not say)."""

    url: str | None = None
    site_name: str | None = None
    published: Stamp | None = None
    modified: Stamp | None = None
    authors: tuple[str, ...] = ()


def parse_stamp(text: str) -> Stamp | None:
    """An ISO 8601 or written timestamp ("19 Nov 2019 07:09 GMT") as a Stamp, else None."""
    # "November 18, 2019 -- 19:14 GMT (11:14 PST)": the time once, without the page's decorations.
    text = " ".join(re.sub(r"\([^()]*\)|--|\|", " ", text).split())
    if not text or len(text) > 60 or not re.search(r"\d", text):
        return None
    try:
        parsed = dateparser.parse(text, tzinfos=_TZINFOS, default=datetime(1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or not _FIRST_YEAR <= parsed.year <= datetime.now(UTC).year + 1:
        return None
    if not _HAS_TIME.search(text):
        return Stamp(day=parsed.date(), when=None, offset_stated=False)
    stated = parsed.tzinfo is not None
    when = parsed if stated else parsed.replace(tzinfo=UTC)
    return Stamp(day=parsed.date(), when=when, offset_stated=stated)


def best_stamp(candidates: Iterator[str]) -> Stamp | None:
    """The first time with a stated offset; else the first time; else the first date (in page order)."""
    stamps = [s for s in map(parse_stamp, candidates) if s is not None]
    for good in (
        lambda s: s.when is not None and s.offset_stated,
        lambda s: s.when is not None,
        lambda s: True,
    ):
        found = next((s for s in stamps if good(s)), None)
        if found is not None:
            return found
    return None


def read_page(tree: lxml_html.HtmlElement) -> PageMeta:
    """The page's own metadata (canonical URL, publisher name, times, authors) from its parsed tree."""
    meta = _meta_tags(tree)
    objects = list(_json_ld(tree))
    articles = [o for o in objects if _ARTICLE_TYPES.search(str(o.get("@type", "")))] or objects
    return PageMeta(
        url=_url(tree, meta, articles),
        site_name=_site_name(meta, objects),
        published=best_stamp(_published(tree, meta, articles)),
        modified=best_stamp(_candidates(articles, "dateModified", meta, _MODIFIED_META)),
        authors=tuple(_authors(meta, articles)),
    )


def page_source(html: str) -> str | None:
    """The publisher a page names itself by (og:site_name, JSON-LD publisher), else its host name."""
    tree = load_html(html)
    if tree is None:
        return None
    page = read_page(tree)
    return page.site_name or host_name(page.url)


# What stands between a page title and the site's name run into it: "Story – TechCrunch", "Site | Story".
_TITLE_SEPARATOR = r"\s*(?:\||–|—|-|:|·|»)\s*"
_AFTER_NAME = re.compile(rf"^{_TITLE_SEPARATOR}(?=\S)")
_BEFORE_NAME = re.compile(rf"(?<=\S){_TITLE_SEPARATOR}$")
_DANGLING = re.compile(r"\s+(?:\||–|—|-|·|»)$")


def _name_key(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def without_site_name(title: str, page: PageMeta) -> str:
    """A page title without the site's name run before or after it ("NASA adds five companies - SpaceNews.com",
    "LinkNaija | Nigeria's popular news platform: BREAKING NEWS: ...", "... | ZDNet") and without a
    dangling separator ("... and More -"). The names are the page's own: its og:site_name or publisher, its
    host ("spacenews.com") and the host's first label ("9to5mac"). A title that is only the name stays."""
    host = host_name(page.url) or ""
    names = {_name_key(n) for n in (page.site_name, host, host.split(".")[0]) if n and len(_name_key(n)) > 2}
    text = _DANGLING.sub("", title.strip())
    for name in sorted(names, key=len, reverse=True):
        # The shortest leading or trailing stretch whose letters and digits spell the name.
        for cut in range(1, len(text)):
            head, tail = text[:cut], text[cut:]
            if not name.startswith(key := _name_key(head)):
                break
            if key == name:
                if m := _AFTER_NAME.match(tail):
                    return tail[m.end() :].strip() or text
                break
        for cut in range(len(text) - 1, 0, -1):
            head, tail = text[:cut], text[cut:]
            if not name.endswith(key := _name_key(tail)):
                break
            if key == name:
                if m := _BEFORE_NAME.search(head):
                    return head[: m.start()].strip() or text
                break
    return text


def host_name(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _meta_tags(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in tree.iter("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        value = tag.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph members and lists flattened (broken blocks skipped)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.get("@graph") or [])
                yield item


def _published(tree: Any, meta: dict[str, str], articles: list[dict[str, Any]]) -> Iterator[str]:
    yield from _candidates(articles, "datePublished", meta, _PUBLISHED_META)
    # A <time> element: its machine value, then its printed text ("Posted Nov 18, 8:19 PM EST").
    for tag in tree.iter("time"):
        if (
            tag.get("itemprop") == "datePublished"
            or tag.get("pubdate") is not None
            or "publish" in (tag.get("class") or "")
        ):
            yield tag.get("datetime") or ""
    for tag in tree.iter("time"):
        yield from (tag.get("datetime") or "", tag.text_content())


def _candidates(
    articles: list[dict[str, Any]], key: str, meta: dict[str, str], names: tuple[str, ...]
) -> Iterator[str]:
    for obj in articles:
        if isinstance(obj.get(key), str):
            yield obj[key]
    for name in names:
        if name in meta:
            yield meta[name]


def _url(tree: Any, meta: dict[str, str], articles: list[dict[str, Any]]) -> str | None:
    canonical = [link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "")]
    entity = [o.get("mainEntityOfPage") for o in articles]
    ids = [e.get("@id") if isinstance(e, dict) else e for e in entity]
    found = [
        v.strip()
        for v in (*canonical, meta.get("og:url"), *(o.get("url") for o in articles), *ids)
        if isinstance(v, str) and v.strip().startswith(("http://", "https://"))
    ]
    og = meta.get("og:url")
    if found and og and og.strip() in found and _site(found[0]) != _site(og):
        # A canonical link on another site names the syndication source (MSN's copy of a CNN story
        # points at CNN); og:url names this page. On the same site the canonical wins (og:url is often a
        # sharing variant such as social.techcrunch.com).
        return og.strip()
    return _edition_of(tree, found[0]) if found else None


def _edition_of(tree: Any, url: str) -> str:
    """`url`, or the page's x-default address when `url` is one regional edition of it (RFC-style hreflang
    alternates: the page lists `url` for a region, "en-DE", and an x-default with the same path on another
    host, as businessinsider.de does for businessinsider.com's stories). The x-default is the article's
    address however the reader was geo-routed; any other alternate list leaves `url` as it is."""
    alternates = {
        (link.get("hreflang") or "").strip().lower(): (link.get("href") or "").strip()
        for link in tree.iter("link")
        if "alternate" in (link.get("rel") or "").lower() and link.get("hreflang")
    }
    default = alternates.pop("x-default", "")
    here = _address(url)
    regional = any("-" in lang and _address(href) == here for lang, href in alternates.items())
    if (
        regional
        and default.startswith(("http://", "https://"))
        and _address(default) != here
        and urlsplit(default).path.rstrip("/") == urlsplit(url).path.rstrip("/")
    ):
        return default
    return url


def _address(url: str) -> str:
    """`url` without its scheme, a leading "www." or a trailing slash, lower-cased: one page however linked."""
    return url.split("://", 1)[-1].removeprefix("www.").rstrip("/").lower()


def _site(url: str) -> str:
    """The last two labels of the host ("techcrunch.com" for social.techcrunch.com)."""
    return ".".join((urlsplit(url).hostname or "").split(".")[-2:])


def _site_name(meta: dict[str, str], objects: list[dict[str, Any]]) -> str | None:
    if meta.get("og:site_name"):
        return meta["og:site_name"]
    for obj in objects:
        publisher = obj.get("publisher")
        name = publisher.get("name") if isinstance(publisher, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return meta.get("application-name")


def _authors(meta: dict[str, str], articles: list[dict[str, Any]]) -> Iterator[str]:
    names: list[str] = []
    for obj in articles:
        people = obj.get("author")
        for person in people if isinstance(people, list) else [people]:
            name = person.get("name") if isinstance(person, dict) else person
            if isinstance(name, str) and name.strip() and not name.startswith("http") and name not in names:
                names.append(name.strip())
    if not names and meta.get("author") and not meta["author"].startswith("http"):
        names.append(meta["author"])
    yield from names


def stamp_of(when: datetime, text: str) -> Stamp:
    """The Stamp of a time parsed from `text` (a dateline, a feed field): a date alone has day precision."""
    timed = bool(_HAS_TIME.search(text))
    return Stamp(
        day=when.date(), when=when if timed else None, offset_stated=timed and when.tzinfo is not None
    )
