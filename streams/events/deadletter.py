"""Dead letters: a refused input becomes an event with its reason code and its original bytes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from streams.events.errors import Reason, Rejected
from streams.events.records import DeadLetter, event_id


def dead_letter(
    *,
    stage: str,
    error: Rejected | Exception,
    key: bytes | str | None,
    value: bytes,
    topic: str,
    pipeline_version: str,
    now: datetime | None = None,
) -> DeadLetter:
    """The DeadLetter event for `value` refused by `stage` (any exception becomes `stage_error`)."""
    if isinstance(error, Rejected):
        reason, detail = error.reason, error.detail
    else:
        reason, detail = Reason.STAGE_ERROR, f"{type(error).__name__}: {error}"
    key_text = key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else key
    try:
        original, encoding = value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(value).decode("ascii"), "base64"
    return DeadLetter(
        # The same bytes refused again by the same pipeline give the same id: replays de-duplicate.
        event_id=event_id(topic, key_text, value, pipeline_version, stage, reason),
        stage=stage,
        reason=str(reason),
        detail=detail[:2000],
        original_key=key_text,
        original_value=original,
        original_encoding=encoding,
        original_topic=topic,
        failed_at=now or datetime.now(UTC),
        pipeline_version=pipeline_version,
    )


def original_bytes(letter: DeadLetter) -> bytes:
    """The exact bytes that were refused (for re-ingesting after a fix)."""
    if letter.original_encoding == "base64":
        return base64.b64decode(letter.original_value)
    return letter.original_value.encode("utf-8")
