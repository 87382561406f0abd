"""Who may reach the web servers: a server bound beyond loopback needs a real bearer token."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

MIN_TOKEN_CHARS = 16
# Words of the values people paste from examples; a token holding one is a placeholder, not a secret.
PLACEHOLDER_WORDS = ("change", "placeholder", "example", "token", "secret", "password", "dummy", "default")
# A real token (`openssl rand -hex 24`, `secrets.token_urlsafe`) uses many characters; "aaaa…" or
# "12341234…" does not.
MIN_DISTINCT_CHARS = 8


class ExposureRefused(RuntimeError):
    """A web server was asked to listen beyond loopback without a real token."""


def is_loopback(host: str) -> bool:
    """True when `host` only listens on this machine ("" and 0.0.0.0 mean every interface)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or an empty host: reachable from elsewhere


def token_problem(token: str) -> str | None:
    """Why `token` is not a real secret, or None when it can be one."""
    if not token:
        return "no token is set"
    if len(token) < MIN_TOKEN_CHARS:
        return f"the token is shorter than {MIN_TOKEN_CHARS} characters"
    lowered = token.lower()
    if word := next((w for w in PLACEHOLDER_WORDS if w in lowered), None):
        return f"the token looks like a placeholder (it contains {word!r})"
    if len(set(token)) < MIN_DISTINCT_CHARS:
        return f"the token uses fewer than {MIN_DISTINCT_CHARS} distinct characters"
    return None


def check_bind(what: str, host: str, token: str, variable: str) -> None:
    """Refuse (ExposureRefused) to serve `what` on `host` beyond loopback unless `token` is real. On
    loopback only this machine's users reach the server, so any token (or none) will do."""
    if is_loopback(host) or (problem := token_problem(token)) is None:
        return
    raise ExposureRefused(
        f"refusing to serve {what} on {host or 'every interface'}: {problem}. Set {variable} to a random value of "
        f"{MIN_TOKEN_CHARS}+ characters (e.g. `openssl rand -hex 24`), or listen on 127.0.0.1."
    )


def bearer_ok(headers: Mapping[str, str], query: Mapping[str, str], expected: str) -> bool:
    """True when the request carries `expected` as `Authorization: Bearer …` (or `?token=`, for links
    and EventSource, which cannot set headers). Compared in constant time."""
    header = headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else query.get("token", "")
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
