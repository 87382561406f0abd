"""Faust table access outside an agent's own iteration (a batch delivered after it was taken)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event


@contextmanager
def as_event(event: faust.EventT) -> Iterator[None]:
    """Faust takes a table read's store partition and a write's changelog partition from the current
    event; a batch is delivered after it was taken, so this names the event the access belongs to."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def delete_key(table: MutableMapping[Any, Any], key: str) -> None:
    """Delete `key` from a table in either form: keys read back from the changelog may come as bytes (the
    raw key serializer), keys written since as text."""
    for form in (key, key.encode()):
        if form in table:
            del table[form]
