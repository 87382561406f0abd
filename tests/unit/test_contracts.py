"""The JSON Schemas and AsyncAPI document of schemas/ agree with the Records, and every emitted event fits."""

from __future__ import annotations

import runpy
import shutil
import types
import typing
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator

from streams.cleaning.raw import parse_raw
from streams.events import contracts, flow, records
from streams.events.errors import Reason, Rejected
from streams.events.flow import Outgoing
from streams.events.records import Event, to_json
from streams.settings import Settings
from tests.conftest import ROOT, seed_raw_line

SCHEMAS = ROOT / "schemas"
SAMPLES = ROOT / "samples"

# Every Record (nested ones too) and where in which schema file its object is described.
RECORD_SCHEMAS: list[tuple[type[faust.Record], str, tuple[str, ...]]] = [
    (records.RawArticle, "raw-article.schema.json", ("$defs", "rawArticle")),
    (records.CleanArticle, "clean-article.schema.json", ()),
    (records.Byline, "clean-article.schema.json", ("$defs", "byline")),
    (records.Removal, "clean-article.schema.json", ("$defs", "removal")),
    (records.EnrichedArticle, "enriched-article.schema.json", ()),
    (records.EntityEvent, "entity.schema.json", ()),
    (records.Mention, "entity.schema.json", ("$defs", "mention")),
    (records.QuoteEvent, "quote.schema.json", ()),
    (records.Speaker, "quote.schema.json", ("$defs", "speaker")),
    (records.TopicEvent, "topic.schema.json", ()),
    (records.PeopleLearned, "people-learned.schema.json", ()),
    (records.TrendingCount, "trending.schema.json", ()),
    (records.DeadLetter, "dead-letter.schema.json", ()),
    (records.SyndicationHop, "syndication-hop.schema.json", ()),
    (records.GateInput, "gate-input.schema.json", ()),
    (records.Kill, "kill.schema.json", ()),
    (records.Retraction, "retraction.schema.json", ()),
]
_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    datetime: "string",
    list: "array",
    dict: "object",
}


def _object_schema(filename: str, path: tuple[str, ...]) -> dict[str, Any]:
    schema = contracts.load_schema(filename)
    for part in path:
        schema = schema[part]
    return schema


def _annotation(record: type[faust.Record], name: str) -> tuple[bool, Any]:
    """(whether the field may be None, its Python type without the None) from the Record's annotation."""
    hint = record._options.fields[name]
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        [inner] = [a for a in args if a is not type(None)]
        return True, inner
    return False, hint


def _json_types(prop: dict[str, Any], root: dict[str, Any]) -> set[str]:
    """The JSON types a property schema admits (following local $refs and oneOf branches)."""
    if "$ref" in prop:
        target = root
        for part in prop["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _json_types(target, root)
    if "oneOf" in prop:
        return set().union(*(_json_types(branch, root) for branch in prop["oneOf"]))
    kind = prop["type"]
    return {kind} if isinstance(kind, str) else set(kind)


# --- (1) Records and schemas agree ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "filename", "path"),
    RECORD_SCHEMAS,
    ids=[f"{r.__name__}@{f}" for r, f, _ in RECORD_SCHEMAS],
)
def test_record_fields_and_required_fields_equal_the_schema(
    record: type[faust.Record], filename: str, path: tuple[str, ...]
) -> None:
    schema = _object_schema(filename, path)
    options = record._options
    assert set(schema["properties"]) == set(options.fields)
    if record is records.RawArticle:
        # The input contract: what a feed must send; the rest it may leave out. A kill (pubstatus canceled
        # or withheld) needs only the id; an article its content, and `source` of plain text only (an HTML
        # page names its publisher itself; intake fills the record's field).
        assert schema["required"] == ["id"]
        [kill_or_article] = schema["allOf"]
        assert kill_or_article["if"]["properties"]["pubstatus"]["enum"] == ["canceled", "withheld"]
        article = kill_or_article["else"]
        assert set(schema["required"]) | set(article["required"]) | {"source"} == set(options.fields) - set(
            options.defaults
        )
        [conditional] = article["allOf"]
        assert conditional["then"] == {"required": ["source"]}
    elif record is records.EnrichedArticle:
        # ninjs has no null: a field the Record may leave None is absent from the wire, so not required.
        unset = {name for name, default in options.defaults.items() if default is None}
        assert set(schema["required"]) == set(options.fields) - unset
    else:
        # orjson writes every field of an event (None as null): all are always present.
        assert set(schema["required"]) == set(options.fields)


@pytest.mark.parametrize(
    ("record", "filename", "path"),
    RECORD_SCHEMAS,
    ids=[f"{r.__name__}@{f}" for r, f, _ in RECORD_SCHEMAS],
)
def test_record_field_types_and_nullability_match_the_schema(
    record: type[faust.Record], filename: str, path: tuple[str, ...]
) -> None:
    root = contracts.load_schema(filename)
    properties = _object_schema(filename, path)["properties"]
    for name in record._options.fields:
        optional, hint = _annotation(record, name)
        admitted = _json_types(properties[name], root)
        # ninjs (the enriched article) leaves an unknown value out rather than null.
        nullable = optional and record is not records.EnrichedArticle
        assert ("null" in admitted) == nullable, f"{record.__name__}.{name}: Optional is {optional}"
        origin = typing.get_origin(hint) or hint
        expected = "object" if isinstance(origin, type) and issubclass(origin, faust.Record) else None
        expected = expected or _JSON_TYPES[origin]
        assert admitted - {"null"} == {expected}, f"{record.__name__}.{name}: {admitted} for {hint}"
        if hint is datetime:
            assert properties[name]["format"] == "date-time", f"{record.__name__}.{name}"


def test_nested_records_are_referenced_where_the_record_nests_them() -> None:
    clean = contracts.load_schema("clean-article.schema.json")["properties"]
    assert clean["byline"]["items"] == {"$ref": "#/$defs/byline"}
    assert clean["removed"]["items"] == {"$ref": "#/$defs/removal"}
    entity = contracts.load_schema("entity.schema.json")["properties"]
    assert entity["mentions"]["items"] == {"$ref": "#/$defs/mention"}
    quote = contracts.load_schema("quote.schema.json")["properties"]
    assert {"$ref": "#/$defs/speaker"} in quote["speaker"]["oneOf"]
    assert {"$ref": "#/$defs/speaker"} in quote["addressee"]["oneOf"]


def test_each_flow_topic_maps_to_the_schema_of_its_record() -> None:
    by_record = {record: filename for record, filename, path in RECORD_SCHEMAS if not path}
    assert set(contracts.SCHEMA_FILES) == {spec.name for spec in flow.FLOW}
    for spec in flow.FLOW:
        # Raw topics carry bytes (RawArticle or ninjs), validated by the stage that reads them.
        expected = by_record.get(spec.value, "raw-article.schema.json")
        assert contracts.SCHEMA_FILES[spec.name] == expected, spec.name


def test_schemas_pin_the_schema_version_and_the_reason_codes() -> None:
    published = set(contracts.SCHEMA_FILES.values()) | {contracts.RETRACTION_SCHEMA}
    for filename in published - {"raw-article.schema.json"}:
        schema = contracts.load_schema(filename)
        if filename == "gate-input.schema.json":
            # Internal, between two stages of one pipeline version: it carries no version of its own.
            assert "schema_version" not in schema["properties"]
            assert schema["additionalProperties"] is True
            continue
        # Trending's contract moved on alone (trailing windows keyed by window): version 2; the enriched
        # article too (a ninjs document): version 2; the entity, quote and topic events and their
        # retractions too (ids that do not follow the article's version): version 2.
        pinned = {
            "trending.schema.json": records.TRENDING_SCHEMA_VERSION,
            "enriched-article.schema.json": records.ENRICHED_SCHEMA_VERSION,
            "entity.schema.json": records.EVENT_SCHEMA_VERSION,
            "quote.schema.json": records.EVENT_SCHEMA_VERSION,
            "topic.schema.json": records.EVENT_SCHEMA_VERSION,
            contracts.RETRACTION_SCHEMA: records.EVENT_SCHEMA_VERSION,
        }.get(filename, records.SCHEMA_VERSION)
        assert schema["properties"]["schema_version"]["const"] == pinned, filename
        if filename == "enriched-article.schema.json":
            # ninjs's extension form: the root is closed, an undeclared property is invalid.
            assert schema["unevaluatedProperties"] is False and "additionalProperties" not in schema
        else:
            assert schema["additionalProperties"] is True, filename
    reasons = contracts.load_schema("dead-letter.schema.json")["properties"]["reason"]["enum"]
    assert reasons == [str(r) for r in Reason]


# --- (2) the schemas and the AsyncAPI document are well formed ---------------------------------------


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    files = sorted(SCHEMAS.glob("*.schema.json"))
    assert {f.name for f in files} == set(contracts.SCHEMA_FILES.values()) | {contracts.RETRACTION_SCHEMA}
    for path in files:
        schema = orjson.loads(path.read_bytes())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        Draft202012Validator.check_schema(schema)


def test_a_checkout_reads_schemas_in_place_and_a_build_copies_them_into_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert contracts.SCHEMAS == SCHEMAS  # one folder in the repository, no copy beside it
    assert not contracts.PACKAGE_SCHEMAS.exists(), "a stale copy in the source tree: remove it"
    # setup.py's build step, run as a build runs it (the packages themselves left out: only the copy).
    import setuptools
    from setuptools.dist import Distribution

    registered: dict[str, Any] = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kw: registered.update(kw))
    runpy.run_path(str(ROOT / "setup.py"), run_name="__main__")
    command = registered["cmdclass"]["build_py"](Distribution({"name": "newsstreams", "packages": []}))
    command.initialize_options()
    command.build_lib = str(tmp_path)
    command.finalize_options()
    command.run()
    built = tmp_path / "streams" / "data" / "schemas"
    copied = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    assert copied == {p.relative_to(SCHEMAS): p.read_bytes() for p in SCHEMAS.rglob("*") if p.is_file()}


def _asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text("utf-8"))
    return document


def _resolve(document: dict[str, Any], ref: str) -> Any:
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


# Topics whose keys a tombstone (null value) may remove: a kill on raw, a killed article on the store, a
# person only killed articles taught.
TOMBSTONED = (flow.RAW.name, flow.CLEAN.name, flow.ENRICHED.name, flow.PEOPLE_LEARNED.name)


def _check_other_messages(document: dict[str, Any], spec: flow.TopicSpec, others: list[Any]) -> None:
    """A topic's messages beside its own: a retraction on each event topic, a tombstone on the article
    topics that can lose an article, and nothing else."""
    expected = [spec.name in contracts.RETRACTABLE, spec.name in TOMBSTONED]
    assert len(others) == sum(expected), spec.name
    for other in others:
        payload = other["payload"]["schema"]
        if payload.get("type") == "null":
            assert spec.name in TOMBSTONED, spec.name
        else:
            assert spec.name in contracts.RETRACTABLE, spec.name
            assert payload["$ref"] == f"./{contracts.RETRACTION_SCHEMA}"
            headers = other["headers"]["allOf"]
            assert {"properties": {"ce_type": {"const": records.Retraction.ce_type}}} in headers
        # Retractions and tombstones take the key of what they withdraw.
        assert other["bindings"]["kafka"]["key"]["description"].startswith(spec.key), spec.name


def test_asyncapi_lists_every_flow_topic_with_key_message_and_kafka_config() -> None:
    document = _asyncapi()
    assert document["asyncapi"] == "3.0.0"
    by_address = {c["address"]: c for c in document["channels"].values()}
    assert list(by_address) == [spec.name for spec in flow.FLOW]  # flow order, each once
    for spec in flow.FLOW:
        channel = by_address[spec.name]
        # The topic's own message first; then what else travels on it (retractions, tombstones).
        message_ref, *others = channel["messages"].values()
        message = _resolve(document, message_ref["$ref"])
        _check_other_messages(document, spec, [_resolve(document, o["$ref"]) for o in others])
        schema_ref = message["payload"]["schema"]["$ref"]
        # bundled/ is made by scripts/asyncapi-validate in a copy of schemas/ (with IPTC's ninjs inside).
        bundled = schema_ref.removeprefix("./").startswith("bundled/")
        assert (SCHEMAS / (Path(schema_ref).name if bundled else schema_ref)).is_file(), schema_ref
        assert Path(schema_ref).name == contracts.SCHEMA_FILES[spec.name]
        assert message["bindings"]["kafka"]["key"]["description"].startswith(spec.key)
        config = channel["bindings"]["kafka"]["topicConfiguration"]
        assert config["cleanup.policy"] == spec.cleanup_policy.split(","), spec.name
        assert config["retention.ms"] == spec.retention_ms, spec.name
        # The default settings' limit, 4 x 2,000,000 + 1 MiB (the binding states the default).
        assert config["max.message.bytes"] == 9_048_576 == Settings().max_message_bytes, spec.name
        assert ("Internal" in channel["description"]) == spec.internal, spec.name
        if spec.value is not None:
            headers = message["headers"]["allOf"]
            assert {"$ref": "#/components/schemas/cloudEventHeaders"} in headers
            assert {"properties": {"ce_type": {"const": spec.value.ce_type}}} in headers


def test_asyncapi_operations_say_who_sends_and_receives_each_topic() -> None:
    document = _asyncapi()
    roles: Counter[tuple[str, str, str]] = Counter()
    for operation in document["operations"].values():
        channel = _resolve(document, operation["channel"]["$ref"])
        for tag in operation["tags"]:
            roles[tag["name"], operation["action"], channel["address"]] += 1
    assert roles["feed", "send", flow.RAW.name] == 1
    assert roles["worker", "receive", flow.RAW.name] == 1
    for spec in flow.FLOW[1:]:
        assert roles["worker", "send", spec.name] == 1, spec.name
    for spec in flow.PUBLIC[1:]:
        assert roles["dashboard", "receive", spec.name] == 1, spec.name


# --- (3) every event the pipeline emits validates -----------------------------------------------------


@pytest.fixture(scope="module")
def emitted() -> list[Outgoing]:
    """Every event `newsstreams process` makes of the seed, the sample feed and the bad samples."""
    from streams.settings import Settings
    from streams.tools import process

    messages: list[tuple[str | None, bytes]] = [(None, seed_raw_line())]
    for name in ("feed.jsonl", "bad.jsonl"):
        lines = (SAMPLES / name).read_bytes().splitlines()
        messages += [(f"{name}:{n}", line) for n, line in enumerate(lines, 1) if line.strip()]
    # Bytes that are not UTF-8 and have no key: the dead letter keeps them as base64.
    messages.append((None, b"\xff\xfe not text"))
    return process.run(messages, Settings.from_env())


def test_every_emitted_event_validates_against_its_topics_schema(emitted: list[Outgoing]) -> None:
    counts = Counter(out.spec.name for out in emitted)
    for name in (flow.CLEAN, flow.ENRICHED, flow.ENTITIES, flow.QUOTES, flow.TOPICS, flow.DEADLETTER):
        assert counts[name.name] > 0, f"nothing emitted on {name.name}"
    for out in emitted:
        if contracts.SCHEMA_FILES[out.spec.name] in contracts.NEEDS_STANDARDS:
            continue  # built on IPTC's ninjs schema: checked in the shared tier below
        contracts.validate(out.spec.name, orjson.loads(to_json(out.event)))
    encodings = {out.event.original_encoding for out in emitted if out.spec is flow.DEADLETTER}
    assert encodings == {"utf-8", "base64"}


def test_the_bundled_schema_judges_as_the_schemas_do(
    emitted: list[Outgoing], shared_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    [written] = contracts.write_bundles(tmp_path / "schemas", shared_dir / "standards" / "ninjs")
    # No registry: every $ref of the bundle is a pointer within it (what the AsyncAPI CLI resolves offline).
    whole = Draft202012Validator(orjson.loads(written.read_bytes()), format_checker=contracts.FORMAT_CHECKER)
    articles = [orjson.loads(to_json(o.event)) for o in emitted if o.spec is flow.ENRICHED]
    assert articles
    for article in articles:
        whole.validate(article)
        assert not whole.is_valid({**article, "url": "https://example.com/a"})  # the root is closed
        assert not whole.is_valid({**article, "uri": "not a uri"})


def test_every_enriched_article_validates_against_its_ninjs_contract(
    emitted: list[Outgoing], shared_dir: Path
) -> None:
    articles = [o for o in emitted if o.spec is flow.ENRICHED]
    assert articles
    for out in articles:
        contracts.validate(out.spec.name, orjson.loads(to_json(out.event)))


def test_without_iptc_files_the_enriched_contract_says_what_it_needs(tmp_path: Path) -> None:
    contracts.registry.cache_clear()
    try:
        with pytest.raises(contracts.StandardsMissing, match=r"ninjs-schema_2\.2\.json"):
            contracts.registry(tmp_path)
    finally:
        contracts.registry.cache_clear()


def test_every_emitted_event_carries_the_documented_cloudevents_headers(emitted: list[Outgoing]) -> None:
    document = _asyncapi()
    headers_schema = document["components"]["schemas"]["cloudEventHeaders"]
    check = Draft202012Validator(headers_schema, format_checker=contracts.FORMAT_CHECKER)
    for out in emitted:
        event: Event = out.event
        headers = {k: v.decode("utf-8") for k, v in records.cloudevent_headers(event).items()}
        check.validate(headers)
        assert headers["ce_id"] == event.event_id
        assert headers["ce_type"] == type(event).ce_type


def test_trending_counts_validate() -> None:
    # Trending is made by the worker's flushes, not by `process`: validate the event it builds.
    from streams.trending.panes import FAMILIES, WindowCount
    from streams.trending.windows import kafka_key, trending_event

    ids = set()
    for family in FAMILIES:
        for kind, key in (("entity", "person:sergei-lavrov"), ("topic", "medtop:11000000")):
            window = WindowCount(kind, key, "x", family, 1_772_539_200, 3, 1)
            event = trending_event(window, "0.1.0")
            contracts.validate(flow.TRENDING.name, orjson.loads(to_json(event)))
            assert event.pipeline_version == "0.1.0"
            assert kafka_key(window) == f"{key}|{family.name}|2026-03-03T12:00:00Z"
            # ce_time is the window's end, not the send time: a replay yields the same headers.
            headers = records.cloudevent_headers(event)
            assert headers["ce_time"] == event.window_end.isoformat().encode()
            # The id follows the payload: another count is another id, the same count the same id.
            again = trending_event(WindowCount(kind, key, "x", family, 1_772_539_200, 4, 1), "0.1.0")
            assert again.event_id != event.event_id
            assert trending_event(window, "0.1.0").event_id == event.event_id
            ids |= {event.event_id, again.event_id}
    assert len(ids) == 2 * 2 * len(FAMILIES)


# --- (4) invalid events are refused -----------------------------------------------------------------


_MISSING = object()  # a change that removes the field


def _quote() -> dict[str, Any]:
    event = records.QuoteEvent(
        event_id=records.event_id("a1", 1, "0.1.0", "quote", "body", 0, 4),
        article_id="a1",
        text="We will not back down",
        kind="full",
        section="body",
        paragraph=0,
        start=4,
        end=25,
        source="example",
        speaker=records.Speaker(entity_id="person:sergei-lavrov", name="Sergei Lavrov"),
        cue="said",
        published_at=datetime(2017, 12, 22, 9, 32, tzinfo=UTC),
        pipeline_version="0.1.0",
    )
    data: dict[str, Any] = orjson.loads(to_json(event))
    return data


def _entity() -> dict[str, Any]:
    event = records.EntityEvent(
        event_id=records.event_id("a1", 1, "0.1.0", "entity", "person:sergei-lavrov"),
        article_id="a1",
        entity_id="person:sergei-lavrov",
        name="Sergei Lavrov",
        type="PERSON",
        mentions=[records.Mention(text="Lavrov", section="body", paragraph=2, start=10, end=16)],
        salience=0.8,
        source="example",
    )
    data: dict[str, Any] = orjson.loads(to_json(event))
    return data


def test_hand_made_events_are_valid_before_they_are_broken() -> None:
    contracts.validate(flow.QUOTES.name, _quote())
    contracts.validate(flow.ENTITIES.name, _entity())
    # Unknown fields are welcome (forward compatibility).
    contracts.validate(flow.QUOTES.name, {**_quote(), "confidence": 0.9})


@pytest.mark.parametrize(
    ("topic", "change", "complaint"),
    [
        (flow.QUOTES.name, {"kind": "maybe"}, "$.kind: 'maybe' is not one of"),
        (flow.QUOTES.name, {"speaker": {"name": "he"}}, "$.speaker"),
        (flow.QUOTES.name, {"published_at": "2017-12-22T09:32:00"}, "is not a 'date-time'"),
        (flow.QUOTES.name, {"published_at": "2017-13-22T09:32:00Z"}, "is not a 'date-time'"),
        (flow.QUOTES.name, {"start": -1}, "$.start: -1 is less than the minimum of 0"),
        (flow.ENTITIES.name, {"entity_id": _MISSING}, "'entity_id' is a required property"),
        (flow.ENTITIES.name, {"mentions": _MISSING}, "'mentions' is a required property"),
        (flow.ENTITIES.name, {"entity_id": "Person:Sergei Lavrov"}, "does not match"),
        (flow.ENTITIES.name, {"salience": 1.5}, "$.salience: 1.5 is greater than the maximum of 1"),
        (flow.ENTITIES.name, {"mentions": [{"text": "Lavrov", "section": "footer"}]}, "$.mentions[0]"),
        (flow.ENTITIES.name, {"schema_version": "1"}, "$.schema_version"),
        (flow.ENTITIES.name, {"retracts": "0" * 32}, "$: 'kind' is a required property"),
    ],
)
def test_invalid_events_are_refused_with_the_reason(
    topic: str, change: dict[str, Any], complaint: str
) -> None:
    event = {**(_quote() if topic == flow.QUOTES.name else _entity()), **change}
    event = {k: v for k, v in event.items() if v is not _MISSING}
    with pytest.raises(contracts.ContractError) as refused:
        contracts.validate(topic, event)
    assert complaint in str(refused.value)
    assert refused.value.topic == topic


def test_a_topic_without_a_schema_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="without prefix"):
        contracts.validate("staging.news.quotes", _quote())


# --- (5) the raw input contract: our raw form or ninjs ------------------------------------------------


def test_raw_articles_and_ninjs_documents_validate() -> None:
    record = records.RawArticle(id="a1", source="example", content_type="text/plain", body="Text.")
    contracts.validate(flow.RAW.name, orjson.loads(to_json(record)))
    contracts.validate(flow.RAW.name, orjson.loads(seed_raw_line()))
    ninjs = [d for d in map(orjson.loads, (SAMPLES / "feed.jsonl").read_bytes().splitlines()) if "uri" in d]
    assert ninjs, "the sample feed has a ninjs document"
    for document in ninjs:
        contracts.validate(flow.RAW.name, document)
    minimal = {"uri": "urn:x:1", "bodies": [{"value": "Text."}], "copyrightholder": "example"}
    contracts.validate(flow.RAW.name, minimal)
    # No publisher field: the source comes from the URI (its host, or a newsml URN's provider domain).
    contracts.validate(
        flow.RAW.name, {"uri": "urn:newsml:wire.example:2024:1", "bodies": [{"value": "Text."}]}
    )
    # ninjs 3.x camelCase names.
    camel = {"uri": "https://x.example/1", "versionCreated": "2024-01-01T10:00:00Z", "copyrightHolder": "X"}
    contracts.validate(flow.RAW.name, {**camel, "bodies": [{"contentType": "text/plain", "value": "Text."}]})
    for broken in (
        {**minimal, "bodies": []},  # nothing to read
        {**camel, "versionCreated": "yesterday", "bodies": [{"value": "Text."}]},
        {**minimal, "id": "a1"},  # neither form: our form needs a body, ninjs must not have an id
        {**minimal, "versioncreated": "yesterday"},
    ):
        with pytest.raises(contracts.ContractError):
            contracts.validate(flow.RAW.name, broken)


def test_the_raw_schema_agrees_with_the_intake_on_the_samples() -> None:
    lines = [
        *(SAMPLES / "feed.jsonl").read_bytes().splitlines(),
        *(SAMPLES / "bad.jsonl").read_bytes().splitlines(),
    ]
    checked = 0
    for line in lines:
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # not JSON: no schema can speak about it
        try:
            parse_raw(line, max_body_bytes=2_000_000)
            accepted = True
        except Rejected:
            accepted = False
        try:
            contracts.validate(flow.RAW.name, document)
            valid = True
        except contracts.ContractError:
            valid = False
        assert valid == accepted, line[:80]
        checked += 1
    assert checked == len(lines) - 1


def test_an_html_page_may_leave_out_its_source_and_plain_text_may_not() -> None:
    page = {"id": "p1", "content_type": "text/html", "body": "<html><body><p>Text</p></body></html>"}
    contracts.validate(flow.RAW.name, page)
    with pytest.raises(contracts.ContractError):
        contracts.validate(flow.RAW.name, {**page, "content_type": "text/plain"})
