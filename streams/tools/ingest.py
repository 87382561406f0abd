"""`newsstreams ingest`: validate raw articles locally and publish them to the raw topic keyed by id.

What fails validation here is never sent: it is reported with its file, line, reason, detail and a hint,
so the person running the command can fix it. `news.deadletter` holds what reached the raw topic and was
refused by the worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from aiokafka.errors import KafkaConnectionError, KafkaError
from tqdm import tqdm

from streams.cleaning.stage import intake
from streams.events import flow
from streams.events.errors import Reason, Rejected
from streams.kafka.clients import producer
from streams.settings import Settings
from streams.tools import sources


class Exit(IntEnum):
    """The command's exit codes, distinct so a script can act on each."""

    ALL_SENT = 0
    SOME_REFUSED = 1  # the rest was sent
    NOTHING_SENT = 2  # also: bad usage, a missing path
    BROKER_UNREACHABLE = 3


def hint(reason: Reason, settings: Settings) -> str:
    """What to do about a rejection, for a person reading the command's output."""
    gzip = "a gzipped page is read when its name ends in .gz (or its bytes start like gzip)"
    hints = {
        Reason.MALFORMED_JSON: "a .jsonl file holds one JSON object per line (JSON Lines); a .json file one object",
        Reason.NOT_AN_OBJECT: "an article is one JSON object; write an array's items one per line (JSON Lines)",
        Reason.MISSING_FIELD: "see schemas/raw-article.schema.json for the fields a raw article needs",
        Reason.WRONG_TYPE: "see schemas/raw-article.schema.json for each field's type",
        Reason.UNSUPPORTED_CONTENT_TYPE: "content_type is text/plain or text/html",
        Reason.EMPTY_BODY: "the article has no body text",
        Reason.NO_TEXT: "nothing readable is left once markup is removed",
        Reason.NOT_UTF8: f"text must be UTF-8; {gzip}",
        Reason.BINARY: f"this looks like binary data, not an article; {gzip}",
        Reason.TOO_LARGE: (
            f"bodies over NEWSSTREAMS_MAX_BODY_BYTES ({settings.max_body_bytes:,} bytes) are refused; "
            "raise the setting to accept larger ones"
        ),
    }
    return hints.get(reason, "see the README's Dead letters section")


@dataclass
class Summary:
    sent: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in self.rejected.most_common()) or "none"
        line = f"sent {self.sent}, rejected {sum(self.rejected.values())} ({reasons})"
        return line + (f", skipped {len(self.skipped)} file(s)" if self.skipped else "")

    @property
    def exit(self) -> Exit:
        if not self.sent:
            return Exit.NOTHING_SENT
        return Exit.SOME_REFUSED if self.rejected else Exit.ALL_SENT


class IngestError(Exception):
    """A failure of the whole command, with its exit code and a one-line message."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code


def validate(
    paths: Iterable[Path], settings: Settings, *, source: str | None, say: Callable[[str], None]
) -> tuple[list[tuple[bytes, bytes]], Summary]:
    """The messages to send (key, value) and a summary of what was refused or skipped, each reported."""
    found = sources.scan(paths)
    if found.missing:
        raise IngestError(Exit.NOTHING_SENT, f"no such file or folder: {', '.join(map(str, found.missing))}")
    summary = Summary(skipped=found.skipped)
    for path in found.skipped:
        say(f"{path}: skipped, not an article file ({sources.ARTICLE_FILES})")
    messages: list[tuple[bytes, bytes]] = []
    try:
        for item in sources.items(found.files, source=source):
            try:
                raw = intake(item.value, settings)
            except Rejected as exc:
                summary.rejected[str(exc.reason)] += 1
                say(
                    f"{item.where}: rejected ({exc.reason}): {exc.detail}. Hint: {hint(exc.reason, settings)}"
                )
                continue
            messages.append(((item.key or raw.id).encode("utf-8"), item.value))
    except sources.Unreadable as exc:
        raise IngestError(Exit.NOTHING_SENT, f"cannot read {exc}") from exc
    return messages, summary


async def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    source: str | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> Summary:
    """Publish every valid article in `paths`; invalid ones are reported, counted by reason and not sent."""
    messages, summary = validate(paths, settings, source=source, say=say)
    if not messages:
        return summary
    topic = settings.topic(flow.RAW.name)
    client = producer(settings, linger_ms=5)
    try:
        await client.start()
    except KafkaError as exc:
        await client.stop()
        raise IngestError(
            Exit.BROKER_UNREACHABLE, f"cannot reach the Kafka broker at {settings.bootstrap_servers}: {exc}"
        ) from exc
    try:
        pending = [
            await client.send(topic, value=value, key=key)
            for key, value in tqdm(messages, disable=not progress, unit="article", desc="ingest")
        ]
        for future in pending:
            await future
            summary.sent += 1
    except KafkaConnectionError as exc:
        raise IngestError(
            Exit.BROKER_UNREACHABLE, f"lost the Kafka broker after {summary.sent} sent: {exc}"
        ) from exc
    finally:
        await client.stop()
    return summary
