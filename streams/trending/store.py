"""Trending segments in a Faust table: one changelog record per input partition and flush, not per update."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import faust
from faust.types.tables import TableT

from streams.worker.tables import as_event, delete_key


class Segments:
    """What each flush added to one agent's state of one input partition, under `source|partition|seq`.

    Faust takes a table write's store and changelog partition from the current event. A flush writes after
    its batch was taken, so `writing(event)` names the event whose partition the writes belong to.
    """

    def __init__(self, table: TableT) -> None:
        self.table = table

    @staticmethod
    def key(source: str, partition: int, seq: int) -> str:
        return f"{source}|{partition}|{seq:012d}"

    @staticmethod
    def writing(event: faust.EventT) -> AbstractContextManager[None]:
        return as_event(event)

    def load(self, source: str, partition: int) -> list[dict[str, Any]]:
        prefix = f"{source}|{partition}|"
        return [v for k, v in self.table.items() if _text(k).startswith(prefix) and v]

    def put(self, source: str, partition: int, segment: dict[str, Any]) -> None:
        self.table[self.key(source, partition, int(segment["seq"]))] = segment

    def delete(self, source: str, partition: int, seq: int) -> None:
        delete_key(self.table, self.key(source, partition, seq))


def _text(key: Any) -> str:
    return key.decode() if isinstance(key, bytes) else str(key)
