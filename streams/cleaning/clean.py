"""Clean stage: a validated RawArticle (see `raw`) to a normalised, structured CleanArticle.

Language: the feed's `language` field, when present, is trusted; otherwise py3langid runs on the body, and
`language` is left empty when the text is too short or the guess is not confident. An article in any
language is cleaned and published: which languages the NLP runs on is the enrich stage's business.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import numpy as np
import trafilatura
from dateutil import parser as dateparser
from lxml import etree
from lxml import html as lxml_html
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura.settings import Document
from trafilatura.utils import load_html

from streams.cleaning.metadata import PageMeta, Stamp, read_page, stamp_of, without_site_name
from streams.events.errors import Reason, Rejected
from streams.events.records import Byline, CleanArticle, RawArticle, Removal, event_id

# Characters that carry no text: soft hyphen, zero-width space/joiners, word joiner, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n")

# --- text normalisation ---------------------------------------------------------------------------


def normalise(text: str) -> str:
    """NFC, invisible characters gone, runs of spaces collapsed; quote marks are kept as they are."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; lines inside one paragraph are joined."""
    return [" ".join(p.split("\n")).strip() for p in _BLANK_LINES.split(text) if p.strip()]


def content_hash(paragraphs: list[str]) -> str:
    return hashlib.sha256("\n\n".join(paragraphs).encode("utf-8")).hexdigest()


def fingerprint(paragraph: str) -> str:
    """A hash of a paragraph ignoring case, spacing and digits (dates and counts change, prompts don't)."""
    text = unicodedata.normalize("NFKC", paragraph).casefold()
    text = re.sub(r"\d+", "0", text)
    text = re.sub(r"\s+", "", text)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


# --- newsroom boilerplate -------------------------------------------------------------------------

# Rules only judge short paragraphs: an appeal or prompt is a line or two, a story paragraph that merely
# mentions a newsletter or cookies is longer or quoted.
_RULE_MAX_WORDS = 60
_QUOTE_MARKS = '"“”«»„'


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "donation_appeal",
        _rx(
            r"^support (truly|quality|independent|our|us\b)",
            r"^support (the )?[\w\s'\u2019]{0,30}\bjournalism\b",
            r"\b(every|any) contribution,? (counts|matters|helps|big or small|however small)",
            r"\bmak(e|ing) an? (one-off |monthly |annual |small |single |regular )?(contribution|donation)\b",
            r"^(please )?(donate|contribute)\b",
            r"\b(donate|contribute) (now|today|here)\b",
            r"^(please )?become an? (member|supporter|patron|subscriber)\b",
            r"^our mission is\b",
            r"\bjournalism (without an agenda|without fear|free from|that holds power)",
            r"\bwhether \W?\d+\W? or \W?\d+",
            r"\bhelp us (keep|fund|support|sustain|protect)\b.{0,30}\bjournalism\b",
            r"\breader[- ](funded|supported|revenue)\b",
        ),
    ),
    (
        "login_prompt",
        _rx(
            r"\bthanks? (you )?for (registering|signing up|subscribing|logging in)\b",
            r"\brefresh (the|your|this) (page|browser)\b",
            r"^(please )?(log|sign) in\b",
            r"\b(log|sign) in (to|or) (continue|read|comment|register|your account)",
            r"\balready (a subscriber|a member|have an account|registered)\b",
            r"\bcreate an? (free )?account\b",
            r"\b(to )?continue reading\b",
            r"\bsubscribe (to )?(continue|read|unlock)",
            r"\byou('ve| have) reached (your|the) (limit|maximum)",
            r"\bfree (articles?|stories) (left|remaining)\b",
            r"\bsubscribers? only\b",
        ),
    ),
    (
        "comments_footer",
        _rx(
            r"^join (our|the|in|[\w-]+) .{0,40}\b(comment\w*|conversations?|discussions?|debates?|forums?)\b",
            r"\bcommenting (forum|guidelines|policy)\b",
            r"^(view|show|hide|read|load|see) (all )?(\d+ )?(comments?|replies)\b",
            r"^\d* ?comments?$",
            r"^(leave|post|add|write) an? (comment|reply)\b",
            r"^be the first to comment\b",
            r"\bcomments? (are|have been|is) (now )?(closed|disabled|open)\b",
        ),
    ),
    (
        "newsletter",
        _rx(
            r"\b(sign up|subscribe|register)\b.{0,60}\bnewsletters?\b",
            r"\bnewsletters?\b.{0,60}\b(sign up|subscribe|inbox)\b",
            r"^get (our|the) .{0,40}newsletter",
            r"\b(delivered )?(straight |directly )?(to|in) your inbox\b",
        ),
    ),
    (
        "cookie_notice",
        _rx(
            r"\b(we|this (web)?site|our (web)?site)( and our partners)? uses? cookies\b",
            r"^(accept|allow|reject|manage) (all )?cookies\b",
            r"\bcookie (policy|settings|preferences|consent)\b",
        ),
    ),
    (
        "social_share",
        _rx(
            r"^((share|tweet|email|print|copy link|facebook|twitter|whatsapp|linkedin|pinterest|reddit|"
            r"messenger|flipboard|telegram)[\s|/,•·]*){1,10}$",
            r"^share (this|on|via)\b",
            r"\bfollow us on\b",
            r"^follow\b.{0,60}\bon (twitter|facebook|instagram|youtube|linkedin|tiktok|x)\b",
            r"^click (here )?to share\b",
        ),
    ),
    (
        "related_links",
        _rx(
            r"^(read more|read next|related( articles| stories| content| coverage| topics)?"
            r"|more on this( story)?|see also|you (may|might) also like|recommended( for you| stories)?"
            r"|most (read|popular|viewed)|more from|also read|watch more|see more|more|trending( now)?"
            r"|don'?t miss)\b\s*:",
            r"^(read more|read next|related( articles| stories| content| coverage)?|more on this( story)?"
            r"|you (may|might) also like|recommended( for you| stories)?|most (read|popular|viewed)"
            r"|trending( now)?|don'?t miss)$",
            # Tabloid teaser links: a headline tagged with its kind of page.
            r"\[(video|pictures|pics|photos|insight|reaction|reveal|analysis|latest|poll|live|report)\]\W*$",
            r"^follow (\w+'s )?(full |live |all |our )?coverage\b",
        ),
    ),
    (
        "advertisement",
        _rx(
            r"^(advertisement|advert|sponsored( content)?|ad|story continues below( advertisement)?"
            r"|scroll to continue( with content)?)$",
        ),
    ),
    (
        "subscription_offer",
        _rx(
            r"\bsubscri(be|ption|ptions)\b.{0,80}\b(for (as little as|only|just)|per (month|week|year))\b",
            r"\b\d+ issues for\b",
            r"^if you (enjoyed|liked|value|appreciate) (this|our) (article|story|journalism|reporting)\b",
        ),
    ),
    (
        "author_note",
        _rx(
            r"\b(may|can) be (reached|contacted) at\b",
            r"^(have|got) a (news )?tip\b",
            r"^tell us what you think\b",
        ),
    ),
    (
        "dateline",
        _rx(r"^(updated|published|posted|last (updated|modified))( on| at)?:?\s+(?=.*\d)[\w\s,:./-]{0,40}$"),
    ),
    ("copyright", _rx(r"^(©|\(c\)|copyright\b)", r"\ball rights reserved\b")),
    (
        # Wire services close a story with its credits: "(Reporting by A in Lagos; Editing by B)".
        "credit_line",
        _rx(
            r"^\(\s*(additional )?(reporting|writing|editing|edited|compiled|research|graphics?) by\b[^()]*\)\.?$",
            # Unbracketed, a credit is a name or two per part; a sentence that opens "Reporting by the
            # agency found ..." runs longer than that.
            r"^(additional )?(reporting|writing|editing|edited|compiled|research) by\b[^;]{0,45}(;[^;]{0,60}){0,4}$",
        ),
    ),
    (
        # The letters desk's note under an opinion piece, inviting readers' letters.
        "editor_note",
        _rx(
            r"\bletters? to the editor\b",
            r"\bwe'?d like to hear what you think\b",
            r"^(editor'?s note|note to readers)\s*:.{0,200}\b(submit|send|email|write to)\b",
        ),
    ),
    (
        # What an embedded tweet or Instagram post leaves in the text: its signature and date, its link.
        "embed_residue",
        _rx(
            r"[\u2014\u2013-]\s*[^\u2014\u2013]{1,80}\(@\w{1,15}\)\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
            r"[a-z]*\.? \d{1,2},? \d{4}\W*$",
            r"^a post shared by\b.{0,120}$",
            r"^\S*pic\.twitter\.com/\w+\W*$",
        ),
    ),
)
# Link-list headings are short: a story sentence that happens to start "Related to" is longer.
_RELATED_MAX_WORDS = 20

# A capitalised word with a lower-case letter (so not an all-caps heading), an initial, or O'Brien.
_NAME_PART = r"(?:[A-Z][a-z\u00df-\u024f][\w'\u2019.-]*|[A-Z]\.|[A-Z]['\u2019][A-Z][\w'\u2019.-]*|Mc[A-Z]\w*)"
# Headings and kickers that are capitalised like names ("The Upshot", "More Stories") but are not.
_NOT_NAME = (
    r"(?!(?i:the|a|an|this|that|these|those|our|your|my|his|her|their|its|in|on|at|for|from|with|more|most"
    r"|top|new|latest|breaking|live|read|share|follow|join|sign|subscribe|watch|see|about|related|all)\b)"
)
_PARTICLE = r"(?:de|da|di|del|van|von|der|den|la|le|bin|al|el|ben|du|dos)"
# Two or three capitalised words, with particles ("John van der Berg") between them.
_NAME = rf"{_NOT_NAME}{_NAME_PART}(?:\s+{_PARTICLE})*(?:\s+{_NAME_PART}(?:\s+{_PARTICLE})*){{1,2}}"
_NAME_LINE = re.compile(rf"^(?:by\s+)?({_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)$", re.IGNORECASE)
_NAME_ONLY = re.compile(rf"^{_NAME}$")
_ROLE_WORDS = re.compile(
    r"\b(editor|correspondent|reporter|writer|columnist|journalist|contributor|producer|analyst|critic|staff"
    r"|chief|deputy|senior|bureau|desk|photographer|presenter|commentator|reviewer|researcher|intern"
    r"|director|head of|team)\b",
    re.IGNORECASE,
)
_BY_PREFIX = re.compile(r"^by\s+", re.IGNORECASE)
_DATE_PREFIX = re.compile(
    r"^(?:published|updated|last updated|last modified|posted|first published|modified|date)"
    r"\s*(?:on|at)?\s*[:|]?\s*",
    re.IGNORECASE,
)
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]|2[01])\d{2}\b")
_NUMERIC_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
# Abbreviations dateutil cannot know; BST is British Summer Time (+01:00), as newsrooms use it.
_TZINFOS = {
    "GMT": 0, "UTC": 0, "UT": 0, "Z": 0, "BST": 3600, "IST": 3600, "WET": 0, "WEST": 3600,
    "CET": 3600, "CEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "AEST": 36000, "AEDT": 39600, "JST": 32400, "HKT": 28800, "SGT": 28800,
}  # fmt: skip
_CAPTION = re.compile(
    r"^(?i:image|photo|photograph|picture|pic|video|caption|illustration)(?i: credit)?\s*[:|]"
    r"|\((?i:photo|image|picture|photograph|credit)[^()]*\)$"
    r"|\([^()]*(Getty Images|Shutterstock|Alamy|/\s*(AFP|Reuters|AP|PA|EPA|REX))[^()]*\)$"
    r"|\b(?i:photograph|photo|image|picture)(?i: credit)?\s*:\s*[^.]{0,60}$"
)
_CAPTION_MAX_WORDS = 40


def rule_reason(paragraph: str) -> str | None:
    """The reason a short paragraph is newsroom boilerplate (a donation appeal, a prompt, ...), else None."""
    words = len(paragraph.split())
    if words > _RULE_MAX_WORDS or paragraph[:1] in _QUOTE_MARKS or paragraph[:1] == "'":
        return None
    for reason, pattern in _RULES:
        if reason == "related_links" and words > _RELATED_MAX_WORDS:
            continue
        if pattern.search(paragraph):
            return reason
    return None


# --- metadata lines -------------------------------------------------------------------------------


def parse_date(text: str) -> datetime | None:
    """A dateline or timestamp as an aware datetime (naive times are taken as UTC), else None."""
    line = _DATE_PREFIX.sub("", text.strip()).strip(" |·•-")
    if not line or len(line) > 80:
        return None
    # A day and month without a year would be dated to the current year by the parser: not a dateline.
    if not ((_MONTH.search(line) and _YEAR.search(line)) or _NUMERIC_DATE.search(line)):
        return None
    try:
        when = dateparser.parse(line, tzinfos=_TZINFOS, dayfirst=not _iso_like(line))
    except (ValueError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _iso_like(line: str) -> bool:
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}", line))


def parse_byline(line: str) -> list[Byline]:
    """Names in a byline line ("By A and B", "A, Role"); empty when the line does not read as names."""
    text = line.strip().rstrip(".")
    names = _names(text)
    if not names:
        # "Jane Doe, Transport Correspondent" or "Jane Doe | Reporter": names, then a role.
        head, sep, tail = text.rpartition("|") if "|" in text else text.rpartition(",")
        if sep and _is_role(tail.strip()) and (names := _names(head.strip())):
            names[-1].role = tail.strip()
    return names


def _names(text: str) -> list[Byline]:
    match = _NAME_LINE.match(text)
    if not match:
        return []
    names = [n.strip() for n in re.split(r"\s*(?:,|\band\b|&)\s*", _BY_PREFIX.sub("", match.group(1)))]
    names = [n for n in names if n]
    if not names or any(not _NAME_ONLY.match(n) or _ROLE_WORDS.search(n) for n in names):
        return []
    return [Byline(name=n) for n in names]


def _is_role(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 7
        and bool(_ROLE_WORDS.search(line))
        and not line.endswith((".", "?", "!", '"', "”", "'", "’"))
    )


# --- structure ------------------------------------------------------------------------------------


@dataclass
class _Parts:
    """What clean() assembles before it builds the record (mutable while the structure is read)."""

    headline: str | None = None
    standfirst: str | None = None
    byline: list[Byline] = field(default_factory=list)
    published: Stamp | None = None
    page: PageMeta = field(default_factory=PageMeta)
    captions: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of lines; a text without any blank line has one paragraph a line."""
    if not _BLANK_LINES.search(text.strip()):
        return [[ln] for ln in text.split("\n") if ln.strip()]
    return [[ln for ln in b.split("\n") if ln.strip()] for b in _BLANK_LINES.split(text) if b.strip()]


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and fingerprint(a) == fingerprint(b)


def _classify_meta(line: str, parts: _Parts) -> bool:
    """Take a byline, role or dateline line into `parts`; False when the line is none of them."""
    if (when := parse_date(line)) is not None:
        # The first dateline is the publication; an "Updated ..." line after it is metadata all the same.
        parts.published = parts.published or stamp_of(when, line)
        return True
    if (names := parse_byline(line)) and (not parts.byline or _BY_PREFIX.match(line)):
        if not parts.byline:
            parts.byline = names
        return True
    if parts.byline and parts.byline[-1].role is None and _is_role(line):
        parts.byline[-1].role = line.strip()
        return True
    return False


def _meta_run(blocks: list[list[str]], start: int) -> int:
    """The end of the run of byline/role/dateline blocks at `start` (== start when there is none).

    Evidence is a date, a "By" line or a name with its role; a capitalised line alone is not. A lead-image
    caption may share a block with them, so a block needs only half of its lines to be metadata.
    """
    probe = _Parts()
    end = start
    while end < len(blocks):
        block = blocks[end]
        meta = [line for line in block if _classify_meta(line, probe)]
        if not meta or 2 * len(meta) < len(block) or len(block) > 8:
            break
        end += 1
    evidence = probe.published is not None or any(b.role for b in probe.byline)
    evidence = evidence or any(_BY_PREFIX.match(line) for block in blocks[start:end] for line in block)
    return end if evidence else start


def _structure_plain(text: str, raw: RawArticle, parts: _Parts) -> list[str]:
    """Read headline, standfirst, byline, dateline and captions off the top; return the body paragraphs."""
    blocks = _blocks(text)
    i = 0
    if blocks and raw.headline and _same(" ".join(blocks[0]), raw.headline):
        i = 1
    elif blocks and not raw.headline and len(blocks) > 1 and _looks_like_headline(" ".join(blocks[0])):
        parts.headline = " ".join(blocks[0])
        i = 1
    # The metadata block (byline, role, dateline, lead-image caption) sits within the first few blocks;
    # whatever stands between the headline and it is the standfirst.
    runs = ((j, _meta_run(blocks, j)) for j in range(i, min(i + 3, len(blocks))))
    start, end = next(((j, e) for j, e in runs if e > j), (i, i))
    lead: list[str] = []
    for k, para in enumerate(" ".join(b) for b in blocks[i:start]):
        if k == 0 and rule_reason(para) is None:
            parts.standfirst = para
        else:
            lead.append(para)
    for block in blocks[start:end]:
        for line in block:
            if _classify_meta(line, parts):
                continue
            if (
                rule_reason(line) is None
                and len(line.split()) <= _CAPTION_MAX_WORDS
                and line[:1] not in _QUOTE_MARKS
            ):
                parts.captions.append(line)
            else:
                lead.append(line)
    if end > start and end < len(blocks) and _is_caption_after_meta(" ".join(blocks[end])):
        # Right under the byline and dateline, a short line that is no sentence is the lead image's caption.
        parts.captions.append(" ".join(blocks[end]))
        end += 1
    return [*lead, *(" ".join(b) for b in blocks[end:])]


def _is_caption_after_meta(text: str) -> bool:
    return (
        len(text.split()) <= 25
        and not text.endswith((".", "!", "?", ":", "”", '"'))
        and text[:1] not in _QUOTE_MARKS
        and rule_reason(text) is None
    )


def _looks_like_headline(text: str) -> bool:
    return len(text.split()) <= 30 and not text.endswith((".", ":", ";", ",")) and parse_date(text) is None


MIN_HTML_WORDS = 8


def _structure_html(html: str, raw: RawArticle, parts: _Parts, extract_options: dict[str, Any]) -> list[str]:
    """Main text and metadata with trafilatura, the page's own metadata read first (see `metadata`); lines
    that only repeat the metadata are dropped."""
    if not _WHOLE_PAGE.search(html):
        return _fragment_lines(html)
    tree = load_html(html)
    if tree is None:
        raise Rejected(Reason.NO_TEXT, "the HTML could not be parsed")
    parts.page = read_page(tree)
    # trafilatura prunes the tree it is given: it reads it only after the metadata is taken.
    doc = trafilatura.bare_extraction(
        tree,
        url=raw.url or parts.page.url,
        with_metadata=True,
        date_extraction_params={"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True},
        **extract_options,
    )
    text = normalise(doc.text or "") if isinstance(doc, Document) else ""
    # With no article on the page, extractors fall back to whatever text is left: a menu, a button.
    if not isinstance(doc, Document) or len(text.split()) < MIN_HTML_WORDS:
        raise Rejected(Reason.NO_TEXT, "no main text found in the HTML")
    if not raw.headline and doc.title:
        # A page title often carries the site's name ("Story | ZDNet"): the headline is the story's own.
        parts.headline = without_site_name(normalise(doc.title), parts.page)
    if not raw.byline and doc.author:
        parts.byline = [Byline(name=n.strip()) for n in doc.author.split(";") if n.strip()]
    elif not raw.byline and parts.page.authors:
        parts.byline = [Byline(name=normalise(n)) for n in parts.page.authors]
    parts.published = parts.page.published or _htmldate_day(doc.date)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    headline = raw.headline or parts.headline
    body: list[str] = []
    for k, line in enumerate(lines):
        # Extractors keep the page's h1, byline and dateline above the story; they are metadata, not body.
        if k < 4 and not body and (_same(line, headline) or _is_meta_line(line, parts)):
            parts.removed.append(Removal(text=line, reason="metadata"))
            continue
        body.append(line)
    if doc.description and body and not _is_lede(normalise(doc.description), body[0]):
        parts.standfirst = normalise(doc.description)
    return body


# A scraped page has these; a feed's HTML body (a ninjs `bodies` item, a CMS field) is a fragment of the
# story alone, with no page chrome for an extractor to strip.
_WHOLE_PAGE = re.compile(r"<\s*(?:html|head|body)\b", re.IGNORECASE)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "td")


def _fragment_lines(html: str) -> list[str]:
    """The text of an HTML fragment, one line per block element: a feed's body is all story, so it is taken
    whole rather than through an extractor (which drops short or unspaced texts, such as Chinese)."""
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        raise Rejected(Reason.NO_TEXT, "the HTML fragment could not be parsed") from None
    blocks = [b for b in root.iter(*_BLOCKS) if not any(True for _ in b.iterancestors(*_BLOCKS))]
    texts = [b.text_content() for b in blocks] or [root.text_content()]
    lines = [normalise(line) for text in texts for line in re.split(r"\n\s*\n", text)]
    lines = [line for line in lines if line]
    if not lines:
        raise Rejected(Reason.NO_TEXT, "the HTML fragment has no text")
    return lines


def _htmldate_day(text: str | None) -> Stamp | None:
    """htmldate's date (trafilatura's) for a page that declares none: a date only, its times are unreliable."""
    try:
        day = date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
    return Stamp(day=day, when=None, offset_stated=False) if day else None


def _is_lede(description: str, first: str) -> bool:
    # Pages often describe themselves with their first paragraph, sometimes cut short with an ellipsis.
    stem = description.rstrip(".…").strip()
    return _same(description, first) or fingerprint(first[: len(stem)]) == fingerprint(stem)


def _is_meta_line(line: str, parts: _Parts) -> bool:
    if len(line.split()) > 12:
        return False
    if parse_date(line) is not None:
        return True
    names = parse_byline(line)
    if names and (_BY_PREFIX.match(line) or any(_same(n.name, b.name) for n in names for b in parts.byline)):
        if not parts.byline:
            parts.byline = names
        return True
    return False


# Footers and prompts are short; a long paragraph a source repeats is background text, kept.
LEARNED_MAX_WORDS = 60


def _filter_body(paragraphs: Iterable[str], parts: _Parts, is_learned: Callable[[str], bool]) -> None:
    """Separate captions and boilerplate from the story paragraphs, recording every removal."""
    paragraphs = list(paragraphs)
    reasons = [rule_reason(p) for p in paragraphs]
    for k, para in enumerate(paragraphs):
        if reasons[k] is None and k and reasons[k - 1] == "related_links" and _LINK_ITEM.match(para):
            # The items under a "Related:" or "More:" heading are link titles, not story text.
            reasons[k] = "related_links"
        if reasons[k] is None and k and reasons[k - 1] and para[:1].islower() and len(para.split()) <= 8:
            # A line broken in two ("Support truly" / "independent journalism"): the rest of the same prompt.
            reasons[k] = reasons[k - 1]
        if reasons[k] is None and _NAME_ONLY.match(para) and _stray_name(paragraphs, reasons, k):
            # A bare name right under an appeal, or said twice (an editor's signature), is no story text;
            # a name alone elsewhere may be a list heading and stays.
            reasons[k] = "repeated_name"
    learned = [
        reason is None and len(para.split()) <= LEARNED_MAX_WORDS and is_learned(fingerprint(para))
        for para, reason in zip(paragraphs, reasons, strict=True)
    ]
    story = sum(1 for reason in reasons if reason is None)
    if story and sum(learned) * 2 > story:
        # Most of the story "learned": this is a re-sent or syndicated copy of an article the source
        # already published, not a page of boilerplate. Learned rules stand aside for it.
        learned = [False] * len(paragraphs)
    for para, reason, seen in zip(paragraphs, reasons, learned, strict=True):
        if seen:
            reason = "learned"
        if reason is not None:
            parts.removed.append(Removal(text=para, reason=reason))
        elif len(para.split()) <= _CAPTION_MAX_WORDS and _CAPTION.search(para):
            parts.captions.append(para)
        else:
            parts.paragraphs.append(para)


# A link title: a few words, without the full stop of a sentence (or a list bullet).
_LINK_ITEM = re.compile(r"^(?:[-•*] .{1,150}|(?:\S+ ){0,14}\S+(?<![.!?:;”\"]))$")


def _stray_name(paragraphs: list[str], reasons: list[str | None], k: int) -> bool:
    neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(paragraphs)]
    return any(paragraphs[j] == paragraphs[k] or reasons[j] is not None for j in neighbours)


# --- language -------------------------------------------------------------------------------------

# Below this many words or this confidence a guess is not strong enough to name the language.
_LANG_MIN_WORDS = 20
_LANG_MIN_PROB = 0.95
_LANG_SAMPLE_CHARS = 4000
# Words of letters only: punctuation and numbers say nothing of a language (a 15-word match report of names
# and minutes read as German). Japanese and Chinese are written without spaces: there characters count.
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_LANG_MIN_UNSPACED = 40


@cache
def _identifier() -> LanguageIdentifier:
    # Read-only model, loaded once per process on first use.
    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float]:
    """The language of `text` as an ISO 639-1 code and its probability, or (None, 0) when too short."""
    if (
        len(_LETTER_WORD.findall(text)) < _LANG_MIN_WORDS
        and len(_UNSPACED.findall(text)) < _LANG_MIN_UNSPACED
    ):
        return None, 0.0
    model = _identifier()
    counts = model.instance2fv(text[:_LANG_SAMPLE_CHARS])
    # Only the features present matter; the library's dense dot product over a uint16 vector costs ~15 ms.
    present = np.flatnonzero(counts)
    scores = counts[present].astype(np.float32) @ model.nb_ptc[present] + model.nb_pc
    probs = model.norm_probs(scores)
    best = int(np.argmax(probs))
    return str(model.nb_classes[best]), float(probs[best])


# A paragraph with this share of number tokens is a table row ("Hajduk Kula 2 Proleter 0"); team and place
# names in results tables read as Croatian, Dutch or Quechua to the detector, so only prose is judged.
_TABLE_NUMBER_SHARE = 0.15
_NUMBER = re.compile(r"^\W*\d[\d.,:/%-]*\W*$")


def _prose(paragraphs: list[str]) -> str:
    return "\n".join(
        p
        for p in paragraphs
        if sum(map(bool, map(_NUMBER.match, words := p.split()))) < _TABLE_NUMBER_SHARE * len(words)
    )


def _language(raw: RawArticle, paragraphs: list[str]) -> str | None:
    if raw.language:
        return raw.language.strip().lower().replace("_", "-").split("-")[0]
    lang, prob = detect_language(_prose(paragraphs))
    return lang if lang is not None and prob >= _LANG_MIN_PROB else None


# --- the stage ------------------------------------------------------------------------------------

# Precision-leaning extraction without reader comments: measured best on the aeb benchmark.
HTML_OPTIONS: dict[str, Any] = {"favor_precision": True, "include_comments": False}


def _never(_fingerprint: str) -> bool:
    return False


def clean(
    raw: RawArticle,
    *,
    pipeline_version: str,
    is_learned: Callable[[str], bool] = _never,
    max_paragraphs: int = 2000,
    html_options: dict[str, Any] | None = None,
) -> CleanArticle:
    """Raw article to clean article: structure and metadata read, boilerplate removed and recorded.

    `is_learned(fingerprint)` says whether a paragraph was learned as boilerplate of this source;
    `html_options` replaces
    the trafilatura options of HTML_OPTIONS. Feed metadata (headline, byline, published_at) wins over
    what is read from the text.
    """
    parts = _Parts()
    if raw.content_type == "text/html":
        options = HTML_OPTIONS if html_options is None else html_options
        candidates = _structure_html(raw.body, raw, parts, options)
    else:
        candidates = _structure_plain(normalise(raw.body), raw, parts)
    if raw.byline:
        parts.byline = _byline_field(raw.byline)
    if raw.published_at and (when := parse_date(raw.published_at) or _iso(raw.published_at)):
        parts.published = stamp_of(when, raw.published_at)
    _filter_body(candidates, parts, is_learned)
    if not parts.paragraphs:
        raise Rejected(Reason.NO_TEXT, "no text left after cleaning")
    if len(parts.paragraphs) > max_paragraphs:
        raise Rejected(
            Reason.TOO_MANY_PARAGRAPHS, f"{len(parts.paragraphs)} paragraphs (limit {max_paragraphs})"
        )
    language = _language(raw, parts.paragraphs)
    version = raw.version or 1
    return CleanArticle(
        event_id=event_id(raw.id, version, pipeline_version, "clean"),
        article_id=raw.id,
        version=version,
        source=raw.source,
        content_type=raw.content_type,
        content_hash=content_hash(parts.paragraphs),
        paragraphs=parts.paragraphs,
        url=raw.url or parts.page.url,
        headline=normalise(raw.headline) if raw.headline else parts.headline,
        standfirst=parts.standfirst,
        byline=parts.byline,
        published_at=parts.published.when if parts.published else None,
        published_date=parts.published.day.isoformat() if parts.published else None,
        published_precision=parts.published.precision if parts.published else None,
        modified_at=parts.page.modified.when if parts.page.modified else None,
        language=language,
        media_captions=parts.captions,
        removed=parts.removed,
        pipeline_version=pipeline_version,
    )


def _byline_field(text: str) -> list[Byline]:
    """The feed's byline string: names, with a role after a comma or on the next line when present."""
    lines = [ln.strip() for ln in normalise(text).split("\n") if ln.strip()]
    if not lines:
        return []
    names = parse_byline(lines[0])
    if not names:
        # Not a shape we know: keep the feed's words as one name rather than lose the credit.
        return [Byline(name=_BY_PREFIX.sub("", lines[0]))]
    if len(lines) > 1 and names[-1].role is None and _is_role(lines[1]):
        names[-1].role = lines[1]
    return names


def _iso(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
