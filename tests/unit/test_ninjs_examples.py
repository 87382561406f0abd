"""IPTC's official ninjs example documents (1.x-3.x) go through `process`: cleaned in any language, English
ones enriched, the two with no body at all refused as `no_text`."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import orjson
import pytest

from streams.settings import Settings
from streams.tools import process


def test_every_official_ninjs_example_with_a_body_is_cleaned(shared_dir: Path) -> None:
    examples = sorted((shared_dir / "standards" / "ninjs" / "examples").glob("*/*.json"))
    assert len(examples) == 14
    documents = {path: orjson.loads(path.read_bytes()) for path in examples}
    # Read off the documents, not from the code: which carry any body, and which are in English.
    with_body = {
        p for p, d in documents.items() if d.get("bodies") or d.get("body_text") or d.get("body_html")
    }
    english = {p for p in with_body if documents[p].get("language", "en").startswith("en")}
    assert len(with_body) == 12 and len(english) >= 5

    outputs = process.run([(str(p), p.read_bytes()) for p in examples], Settings())
    by_topic: dict[str, list[object]] = defaultdict(list)
    for out in outputs:
        by_topic[out.spec.name].append(out.event)
    uris = {p: documents[p]["uri"] for p in examples}
    cleaned = [e.article_id for e in by_topic["news.articles.clean"]]
    # Two examples share a URI (the same item in 2.1 and 3.0 form); the clean stage keeps one version.
    assert set(cleaned) == {uris[p] for p in with_body}
    letters = by_topic["news.deadletter"]
    assert sorted((e.reason, e.original_key) for e in letters) == sorted(
        ("no_text", str(p)) for p in examples if p not in with_body
    )
    enriched = {e.article_id for e in by_topic["news.articles.enriched"]}
    topics = {e.article_id for e in by_topic["news.topics"]}
    assert {uris[p] for p in english} <= enriched & topics


def test_the_raw_schema_says_which_official_examples_are_accepted(shared_dir: Path) -> None:
    from streams.events import contracts, flow

    for path in sorted((shared_dir / "standards" / "ninjs" / "examples").glob("*/*.json")):
        document = orjson.loads(path.read_bytes())
        if document.get("bodies"):
            contracts.validate(flow.RAW.name, document)
        else:
            with pytest.raises(contracts.ContractError):
                contracts.validate(flow.RAW.name, document)
