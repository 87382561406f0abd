"""The raw-article contract: one feed message (our fields or IPTC ninjs 1.x, 2.x, 3.x) decoded and validated."""

from __future__ import annotations

import re
from typing import Any

import orjson

from streams.cleaning.metadata import host_name, page_source
from streams.events.errors import Reason, Rejected
from streams.events.records import RawArticle
from streams.kills.gate import KILL_STATUSES

CONTENT_TYPES = ("text/plain", "text/html")
_REQUIRED = ("id", "content_type", "body")
_OPTIONAL_STR = ("source", "url", "headline", "byline", "published_at", "language")
# An HTML page without a source that does not name itself either (no og:site_name, publisher or URL).
UNNAMED_SOURCE = "unknown"
# Beyond this share of control characters a body is not text, whatever its encoding claims.
_MAX_CONTROL_SHARE = 0.1
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def parse_raw(value: bytes, *, max_body_bytes: int) -> RawArticle:
    """Decode and validate one raw message (our contract or IPTC ninjs 1.x-3.x), or raise Rejected."""
    if len(value) > max_body_bytes + 64 * 1024:
        raise Rejected(Reason.TOO_LARGE, f"message is {len(value)} bytes; the limit is {max_body_bytes}")
    if not value.strip():
        raise Rejected(Reason.EMPTY_BODY, "the message is empty")
    if b"\x00" in value:
        raise Rejected(Reason.BINARY, "the message contains NUL bytes")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(Reason.NOT_UTF8, f"not UTF-8 at byte {exc.start}") from None
    try:
        data: Any = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Rejected(Reason.MALFORMED_JSON, str(exc)) from None
    if not isinstance(data, dict):
        raise Rejected(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(data).__name__}")
    if is_ninjs(data):
        data = from_ninjs(data)
    return validate(data, max_body_bytes=max_body_bytes)


def is_ninjs(data: dict[str, Any]) -> bool:
    """A ninjs document names itself by `uri` and carries no field of our own contract's `id`/`body`."""
    return "uri" in data and "id" not in data and "body" not in data


def from_ninjs(document: dict[str, Any]) -> dict[str, Any]:
    """Map an IPTC ninjs document (1.x, 2.x, or 3.x with its camelCase names) onto the raw-article fields."""
    doc = _lowercase_keys(document)
    uri = doc.get("uri")
    status = doc.get("pubstatus")
    if isinstance(status, str) and status.lower() in KILL_STATUSES:
        return {"id": uri, "source": _ninjs_source(doc), "pubstatus": status}
    body, content_type = _ninjs_body(doc)
    if body is None:
        raise Rejected(Reason.NO_TEXT, "the ninjs document has no body (bodies, body_text or body_html)")
    data: dict[str, Any] = {
        "id": uri,
        "source": _ninjs_source(doc),
        "content_type": content_type,
        "body": body,
        "headline": _ninjs_headline(doc),
        "byline": _first_str(doc.get("byline"), doc.get("by")),
        # The first publication time is what readers see as the article's date; later versions keep it.
        "published_at": _first_str(doc.get("firstcreated"), doc.get("versioncreated")),
        "language": doc.get("language"),
        "url": _ninjs_url(doc),
    }
    version = doc.get("version")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    data["version"] = version
    return data


def _lowercase_keys(doc: dict[str, Any]) -> dict[str, Any]:
    """ninjs 3.x writes `versionCreated`, `copyrightHolder`, `pubStatus`, bodies' `contentType`… where 2.x
    writes them in lower case: one spelling for the mapping (a 2.x name wins if both are present)."""
    lowered = {key.lower(): value for key, value in doc.items() if key.lower() not in doc}
    merged = {**lowered, **doc}
    if isinstance(merged.get("bodies"), list):
        merged["bodies"] = [_lowercase_keys(b) if isinstance(b, dict) else b for b in merged["bodies"]]
    return merged


def _first_str(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and v.strip()), None)


def _by_role(items: Any, preferred: str) -> dict[str, Any] | None:
    """The item whose `role` is `preferred`, else the first one (ninjs lists headlines and bodies)."""
    if not isinstance(items, list):
        return None
    objects = [i for i in items if isinstance(i, dict)]
    return next((i for i in objects if i.get("role") == preferred), objects[0] if objects else None)


def _ninjs_headline(doc: dict[str, Any]) -> Any:
    item = _by_role(doc.get("headlines"), "main")
    return item.get("value") if item else doc.get("headline")


def _ninjs_body(doc: dict[str, Any]) -> tuple[Any, Any]:
    listed = doc.get("bodies")
    bodies = [b for b in listed if isinstance(b, dict)] if isinstance(listed, list) else []
    # Plain text is used as the feed wrote it; HTML fragments need extraction and lose more.
    for wanted in ("text/plain", "text/html"):
        for item in bodies:
            if str(item.get("contenttype", "text/plain")).split(";")[0].strip() == wanted:
                return item.get("value"), wanted
    if bodies:
        return bodies[0].get("value"), bodies[0].get("contenttype")
    if doc.get("body_text") is not None:
        return doc["body_text"], "text/plain"
    if doc.get("body_html") is not None:
        return doc["body_html"], "text/html"
    return None, "text/plain"


def _ninjs_source(doc: dict[str, Any]) -> str:
    """The publisher: the copyright holder, else the first information source, else the URI's host (a
    newsml URN names its provider's domain: urn:newsml:dpa.com:…), else UNNAMED_SOURCE."""
    for key in ("copyrightholder", "provider", "infosource"):
        value = doc.get(key)
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str) and value.strip():
            return value
    infosources = doc.get("infosources")
    if isinstance(infosources, list) and infosources and isinstance(infosources[0], dict):
        name = infosources[0].get("name")
        if isinstance(name, str) and name.strip():
            return name
    uri = doc["uri"] if isinstance(doc.get("uri"), str) else ""
    newsml = re.match(r"urn:newsml:([^:]+):", uri, re.IGNORECASE)
    return (newsml.group(1) if newsml else host_name(uri)) or UNNAMED_SOURCE


def _ninjs_url(doc: dict[str, Any]) -> str | None:
    links = doc.get("links")
    if isinstance(links, list):
        for link in links:
            if isinstance(link, dict) and link.get("rel") in ("canonical", "self", "alternate"):
                href = link.get("href")
                if isinstance(href, str):
                    return href
    uri = doc.get("uri")
    return uri if isinstance(uri, str) and uri.startswith(("http://", "https://")) else None


def validate(data: dict[str, Any], *, max_body_bytes: int) -> RawArticle:
    """Check the fields of a decoded raw article and build the typed record."""
    status = data.get("pubstatus")
    if status is not None and (
        not isinstance(status, str) or status.lower() not in (*KILL_STATUSES, "usable")
    ):
        raise Rejected(Reason.WRONG_TYPE, "field 'pubstatus' must be 'usable', 'withheld' or 'canceled'")
    if status is not None and status.lower() in KILL_STATUSES:
        return _kill(data, status.lower())
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
    content_type = data["content_type"].split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise Rejected(Reason.UNSUPPORTED_CONTENT_TYPE, f"content_type {data['content_type']!r}")
    # A page names its publisher itself; plain text cannot, so its feed must.
    source_optional = content_type == "text/html" and data.get("source") is None
    if not source_optional and data.get("source") is None:
        raise Rejected(Reason.MISSING_FIELD, "required field 'source' is missing")
    if not data["id"].strip() or not (source_optional or data["source"].strip()):
        raise Rejected(Reason.MISSING_FIELD, "'id' and 'source' must not be blank")
    body: str = data["body"]
    if len(body.encode("utf-8", "surrogatepass")) > max_body_bytes:
        raise Rejected(Reason.TOO_LARGE, f"body is over the {max_body_bytes}-byte limit")
    if not body.strip():
        raise Rejected(Reason.EMPTY_BODY, "the body is empty")
    if _looks_binary(body):
        raise Rejected(Reason.BINARY, "the body is mostly control characters")
    fields: dict[str, Any] = {k: data.get(k) for k in (*_REQUIRED, *_OPTIONAL_STR, "version")}
    fields["content_type"] = content_type
    fields["pubstatus"] = status
    if source_optional:
        fields["source"] = page_source(body) or host_name(data.get("url")) or UNNAMED_SOURCE
    return RawArticle(**fields)


def _kill(data: dict[str, Any], status: str) -> RawArticle:
    """A kill names the article it withdraws; nothing else is needed (its source, if given, is kept)."""
    article_id, source = data.get("id"), data.get("source")
    if not isinstance(article_id, str) or not article_id.strip():
        raise Rejected(Reason.MISSING_FIELD, "a kill needs the 'id' of the article it withdraws")
    if source is not None and not isinstance(source, str):
        raise Rejected(Reason.WRONG_TYPE, "field 'source' must be a string")
    return RawArticle(id=article_id, source=source or "", content_type="", body="", pubstatus=status)


def _looks_binary(body: str) -> bool:
    return "\x00" in body or len(_CONTROL.findall(body)) > _MAX_CONTROL_SHARE * len(body)
