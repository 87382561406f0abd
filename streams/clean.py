"""Clean stage: raw feed bytes to a validated, normalised, structured CleanArticle."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import orjson

from streams.errors import Reason, Rejected
from streams.records import CleanArticle, RawArticle, event_id

CONTENT_TYPES = ("text/plain", "text/html")
_REQUIRED = ("id", "source", "content_type", "body")
_OPTIONAL_STR = ("url", "headline", "byline", "published_at", "language")
# Characters that carry no text: soft hyphen, zero-width space/joiners, word joiner, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def parse_raw(value: bytes, *, max_body_bytes: int) -> RawArticle:
    """Decode and validate one raw message against the input contract, or raise Rejected."""
    if len(value) > max_body_bytes + 64 * 1024:
        raise Rejected(Reason.TOO_LARGE, f"message is {len(value)} bytes; the limit is {max_body_bytes}")
    if not value.strip():
        raise Rejected(Reason.EMPTY_BODY, "the message is empty")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = Reason.BINARY if b"\x00" in value else Reason.NOT_UTF8
        raise Rejected(reason, f"not UTF-8 at byte {exc.start}") from None
    try:
        data: Any = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Rejected(Reason.MALFORMED_JSON, str(exc)) from None
    if not isinstance(data, dict):
        raise Rejected(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(data).__name__}")
    return validate(data, max_body_bytes=max_body_bytes)


def validate(data: dict[str, Any], *, max_body_bytes: int) -> RawArticle:
    """Check the fields of a decoded raw article and build the typed record."""
    for name in _REQUIRED:
        if name not in data or data[name] is None:
            raise Rejected(Reason.MISSING_FIELD, f"required field {name!r} is missing")
        if not isinstance(data[name], str):
            raise Rejected(Reason.WRONG_TYPE, f"field {name!r} must be a string")
    for name in _OPTIONAL_STR:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise Rejected(Reason.WRONG_TYPE, f"field {name!r} must be a string")
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise Rejected(Reason.WRONG_TYPE, "field 'version' must be an integer")
    if not data["id"].strip() or not data["source"].strip():
        raise Rejected(Reason.MISSING_FIELD, "'id' and 'source' must not be blank")
    if data["content_type"] not in CONTENT_TYPES:
        raise Rejected(Reason.UNSUPPORTED_CONTENT_TYPE, f"content_type {data['content_type']!r}")
    body: str = data["body"]
    if len(body.encode("utf-8")) > max_body_bytes:
        raise Rejected(Reason.TOO_LARGE, f"body is over the {max_body_bytes}-byte limit")
    if not body.strip():
        raise Rejected(Reason.EMPTY_BODY, "the body is empty")
    if "\x00" in body:
        raise Rejected(Reason.BINARY, "the body contains NUL characters")
    fields = {k: data.get(k) for k in (*_REQUIRED, *_OPTIONAL_STR, "version")}
    return RawArticle(**fields)


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


def clean(raw: RawArticle, *, pipeline_version: str) -> CleanArticle:
    """Raw article to clean article (for now: normalised text split into paragraphs)."""
    paragraphs = split_paragraphs(normalise(raw.body))
    if not paragraphs:
        raise Rejected(Reason.NO_TEXT, "no text left after cleaning")
    version = raw.version or 1
    return CleanArticle(
        event_id=event_id(raw.id, version, pipeline_version, "clean"),
        article_id=raw.id,
        version=version,
        source=raw.source,
        content_type=raw.content_type,
        content_hash=content_hash(paragraphs),
        paragraphs=paragraphs,
        url=raw.url,
        headline=raw.headline,
        language=raw.language,
        pipeline_version=pipeline_version,
    )
