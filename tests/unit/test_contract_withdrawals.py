"""The contract of kills, corrections and retractions: hand-written messages judged by the JSON Schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator

from streams.cleaning.raw import parse_raw
from streams.cleaning.stage import State
from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.events import contracts, flow, records
from streams.events.errors import Rejected
from streams.events.flow import Outgoing
from streams.events.records import to_json
from streams.settings import Settings
from streams.tools import process
from tests.conftest import ROOT

ID = "wire-2024-0042"
NEWSML = "urn:newsml:wire.example:2024:0042"
HEX = "9f2a4be1c0d3e5f60718293a4b5c6d7e"  # a hand-made 32-hex event id
OTHER_HEX = "0a9b8c7d6e5f40312233445566778899"
_ABSENT = object()  # a field left out


def _refused(topic: str, message: dict[str, Any]) -> str:
    with pytest.raises(contracts.ContractError) as refused:
        contracts.validate(topic, message)
    return str(refused.value)


def _asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "schemas" / "asyncapi.yaml").read_text("utf-8"))
    return document


def _message(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    message: dict[str, Any] = document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
    return message


# --- kill input on news.articles.raw: three forms ---------------------------------------------------


KILLS = [
    {"id": ID, "pubstatus": "canceled"},  # the raw form: only the id
    {"id": ID, "pubstatus": "withheld", "source": "wire.example", "version": 3},
    {"uri": NEWSML, "pubstatus": "canceled"},  # ninjs 1.x / 2.x
    {"uri": NEWSML, "pubstatus": "withheld", "version": "3", "versioncreated": "2026-03-03T12:04:05Z"},
    {"uri": "https://wire.example/2024/0042", "pubStatus": "canceled"},  # ninjs 3.x
    {"uri": NEWSML, "pubstatus": "canceled", "pubStatus": "usable"},  # 2.x's name wins
]
NOT_KILLS = [
    {"pubstatus": "canceled"},  # no id: nothing to withdraw
    {"id": " ", "pubstatus": "canceled"},  # a blank id
    {"id": ID, "pubstatus": "deleted"},  # not a ninjs status
    {"uri": NEWSML, "pubstatus": "killed"},
    {"uri": NEWSML, "pubStatus": "deleted"},
    {"id": ID, "source": "wire.example", "content_type": "text/plain", "pubstatus": "usable"},  # no body
    {"uri": NEWSML, "pubstatus": "usable"},
    {"uri": NEWSML, "pubstatus": "usable", "pubStatus": "canceled"},  # 2.x's name wins: an article
]
# Where the schema asks more than the intake takes: statuses in ninjs's lower case, and a kill's unused
# fields still well formed. A feed that follows the schema is read by the intake either way.
STRICTER = [
    {"id": ID, "pubstatus": "Canceled"},
    {"id": ID, "pubstatus": "canceled", "body": ""},
]


@pytest.mark.parametrize("kill", KILLS)
def test_a_kill_in_the_raw_form_or_ninjs_needs_no_body(kill: dict[str, Any]) -> None:
    contracts.validate(flow.RAW.name, kill)


def test_a_kill_by_tombstone_is_a_null_value_keyed_by_the_article_id() -> None:
    document = _asyncapi()
    [raw] = [c for c in document["channels"].values() if c["address"] == flow.RAW.name]
    messages = [_message(document, ref) for ref in raw["messages"].values()]
    tombstones = [m for m in messages if m["payload"]["schema"].get("type") == "null"]
    [tombstone] = tombstones
    assert tombstone["bindings"]["kafka"]["key"]["description"].startswith("article id")
    Draft202012Validator(tombstone["payload"]["schema"]).validate(None)
    # No JSON value stands for it: a null is no raw article, and an empty object is not a kill.
    assert not Draft202012Validator(tombstone["payload"]["schema"]).is_valid({})
    _refused(flow.RAW.name, None)  # type: ignore[arg-type]


def test_a_usable_or_unmarked_message_without_a_body_is_no_article() -> None:
    for status in ("usable", None, _ABSENT):
        raw = {"id": ID, "source": "wire.example", "content_type": "text/plain"}
        if status is not _ABSENT:
            raw["pubstatus"] = status
        _refused(flow.RAW.name, raw)
        # Why, in the raw form's own terms (the whole schema says only "neither form"): the body is missing.
        raw_form = Draft202012Validator(
            contracts.load_schema("raw-article.schema.json")["$defs"]["rawArticle"]
        )
        assert [e.message for e in raw_form.iter_errors(raw)] == ["'body' is a required property"]
    # The same with a body is an article.
    contracts.validate(
        flow.RAW.name,
        {
            "id": ID,
            "source": "wire.example",
            "content_type": "text/plain",
            "body": "Text.",
            "pubstatus": "usable",
        },
    )
    # ninjs: usable, or no status, needs a body too (NOT_KILLS has more).
    _refused(flow.RAW.name, {"uri": NEWSML, "pubStatus": "usable"})
    _refused(flow.RAW.name, {"uri": NEWSML})


@pytest.mark.parametrize("broken", [*NOT_KILLS, *STRICTER])
def test_a_kill_that_names_no_article_or_an_unknown_status_is_refused(broken: dict[str, Any]) -> None:
    _refused(flow.RAW.name, broken)


def test_the_intake_reads_as_a_kill_what_the_schema_calls_one() -> None:
    for message in KILLS:
        assert parse_raw(orjson.dumps(message), max_body_bytes=2_000_000).pubstatus in (
            "canceled",
            "withheld",
        )
    for message in NOT_KILLS:
        with pytest.raises(Rejected):
            parse_raw(orjson.dumps(message), max_body_bytes=2_000_000)
    for message in STRICTER:  # taken by the intake, refused by the schema: see STRICTER
        assert parse_raw(orjson.dumps(message), max_body_bytes=2_000_000).pubstatus == "canceled"


# --- news.articles.kills ------------------------------------------------------------------------------


def _kill() -> dict[str, Any]:
    return {
        "event_id": HEX,
        "article_id": ID,
        "status": "canceled",
        "killed_at": "2026-03-03T12:04:05.250000+00:00",
        "source": None,
        "schema_version": "1",
        "pipeline_version": "0.1.0",
    }


def test_a_recorded_kill_validates_and_its_record_writes_the_same_shape() -> None:
    contracts.validate(flow.KILLS.name, _kill())
    contracts.validate(flow.KILLS.name, {**_kill(), "status": "withheld", "source": "wire.example"})
    made = records.Kill(
        event_id=HEX,
        article_id=ID,
        status="canceled",
        killed_at=datetime(2026, 3, 3, 12, 4, 5, 250_000, tzinfo=UTC),
        pipeline_version="0.1.0",
    )
    assert orjson.loads(to_json(made)) == _kill()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"status": "usable"}, "$.status: 'usable' is not one of"),
        ({"killed_at": "2026-03-03T12:04:05"}, "is not a 'date-time'"),
        ({"event_id": "k1"}, "$.event_id: 'k1' does not match"),
        ({"schema_version": "2"}, "$.schema_version"),
    ],
)
def test_an_invalid_recorded_kill_is_refused(change: dict[str, Any], complaint: str) -> None:
    assert complaint in _refused(flow.KILLS.name, {**_kill(), **change})


# --- retractions on the event topics -----------------------------------------------------------------


def _retraction(**change: Any) -> dict[str, Any]:
    return {
        "event_id": OTHER_HEX,
        "retracts": HEX,
        "article_id": ID,
        "kind": "entity",
        "reason": "canceled",
        "version": None,
        "entity_id": "person:sergei-lavrov",
        "topic": None,
        "retracted_at": "2026-03-03T12:04:05.250000+00:00",
        "schema_version": "2",
        "pipeline_version": "0.1.0",
        **change,
    }


RETRACTIONS = [
    (flow.ENTITIES.name, _retraction()),
    (flow.QUOTES.name, _retraction(kind="quote", reason="corrected", version=2, entity_id=None)),
    (flow.TOPICS.name, _retraction(kind="topic", reason="withheld", entity_id=None, topic="medtop:11000000")),
]


@pytest.mark.parametrize(("topic", "retraction"), RETRACTIONS, ids=[t for t, _ in RETRACTIONS])
def test_a_retraction_validates_on_the_topic_of_the_event_it_withdraws(
    topic: str, retraction: dict[str, Any]
) -> None:
    contracts.validate(topic, retraction)
    assert contracts.schema_file(topic, retraction) == contracts.RETRACTION_SCHEMA
    # Only the event topics carry them: elsewhere it is judged, and refused, as that topic's value.
    assert contracts.schema_file(flow.CLEAN.name, retraction) == "clean-article.schema.json"
    _refused(flow.CLEAN.name, retraction)


def test_a_retraction_record_writes_what_the_schema_says() -> None:
    made = records.Retraction(
        event_id=OTHER_HEX,
        retracts=HEX,
        article_id=ID,
        kind="quote",
        reason="corrected",
        version=2,
        retracted_at=datetime(2026, 3, 3, 12, 4, 5, 250_000, tzinfo=UTC),
        pipeline_version="0.1.0",
    )
    written = orjson.loads(to_json(made))
    assert written == _retraction(kind="quote", reason="corrected", version=2, entity_id=None)
    contracts.validate(flow.QUOTES.name, written)
    assert records.cloudevent_headers(made)["ce_type"] == b"news.retraction"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"reason": "deleted"}, "$.reason: 'deleted' is not one of"),
        ({"kind": "article"}, "$.kind: 'article' is not one of"),
        ({"retracts": "q1"}, "$.retracts: 'q1' does not match"),
        ({"entity_id": None}, "$.entity_id: None is not of type 'string'"),  # kind entity names its key
        ({"kind": "topic", "entity_id": None}, "$.topic: None is not of type 'string'"),
        ({"reason": "corrected"}, "$.version: None is not of type 'integer'"),  # a correction names it
        ({"schema_version": "1"}, "$.schema_version"),
        ({"retracted_at": "yesterday"}, "is not a 'date-time'"),
    ],
)
def test_an_invalid_retraction_is_refused(change: dict[str, Any], complaint: str) -> None:
    assert complaint in _refused(flow.ENTITIES.name, _retraction(**change))


def test_an_event_of_schema_2_is_not_a_retraction_and_a_retraction_is_no_event() -> None:
    entity = contracts.load_schema("entity.schema.json")
    check = Draft202012Validator(entity, format_checker=contracts.FORMAT_CHECKER)
    event = {
        "event_id": HEX,
        "article_id": ID,
        "entity_id": "person:sergei-lavrov",
        "name": "Sergei Lavrov",
        "type": "PERSON",
        "mentions": [{"text": "Lavrov", "section": "body", "paragraph": 2, "start": 10, "end": 16}],
        "salience": 0.8,
        "source": "wire.example",
        "roles": [],
        "version": 1,
        "published_at": None,
        "schema_version": "2",
        "pipeline_version": "0.1.0",
    }
    check.validate(event)
    # The one field that tells them apart: an event never has `retracts`, a retraction always has.
    assert not check.is_valid({**event, "retracts": OTHER_HEX})
    assert not Draft202012Validator(contracts.load_schema(contracts.RETRACTION_SCHEMA)).is_valid(event)


# --- news.articles.gate (internal) --------------------------------------------------------------------


def test_a_gate_input_is_a_clean_version_or_a_kill_never_both() -> None:
    article = {"article_id": ID, "version": 1}  # the clean article has its own schema
    version = {"event_id": HEX, "article": article, "kill": None, "received": 1_772_539_445.25}
    kill = {"event_id": OTHER_HEX, "article": None, "kill": _kill(), "received": 1_772_539_445.25}
    contracts.validate(flow.GATE.name, version)
    contracts.validate(flow.GATE.name, kill)
    assert "is not valid under any of" in _refused(flow.GATE.name, {**version, "kill": _kill()})
    assert "is not valid under any of" in _refused(flow.GATE.name, {**version, "article": None})
    assert "'received' is a required property" in _refused(
        flow.GATE.name, {k: v for k, v in version.items() if k != "received"}
    )
    made = records.gate_input(
        kill=records.Kill(**{**_kill(), "killed_at": datetime(2026, 3, 3, tzinfo=UTC)}), received=1.5
    )
    contracts.validate(flow.GATE.name, orjson.loads(to_json(made)))


# --- what the pipeline emits for kills and corrections ----------------------------------------------

# Two quotes by one named speaker; the correction drops the second.
STORY = [
    "Maria Lopez, the finance minister of Spain, presented the new budget in Madrid on Monday.",
    '"This budget puts schools and hospitals first," Lopez told parliament.',
    '"We will not raise taxes on families this year," Lopez said.',
]


def _article(article_id: str, paragraphs: list[str]) -> bytes:
    body = "\n\n".join(paragraphs)
    return orjson.dumps(
        {"id": article_id, "source": "wire.example", "content_type": "text/plain", "body": body}
    )


def _ninjs(uri: str, paragraphs: list[str]) -> bytes:
    return orjson.dumps(
        {"uri": uri, "copyrightholder": "wire.example", "bodies": [{"value": "\n\n".join(paragraphs)}]}
    )


@pytest.fixture(scope="module")
def withdrawn(nlp: Any) -> list[Outgoing]:
    """What `process` (the worker's gate and retractions) emits for articles, a correction, and a kill
    in each form: raw pubstatus, ninjs 2.x pubstatus, ninjs 3.x pubStatus, a tombstone."""
    ninjs2, ninjs3 = NEWSML, "https://wire.example/2024/0043"
    messages: list[tuple[str, bytes | None]] = [
        (ID, _article(ID, STORY)),
        (ID, _article(ID, STORY[:2])),  # a correction: the second quote is gone
        (ID, orjson.dumps({"id": ID, "pubstatus": "withheld"})),
        (ninjs2, _ninjs(ninjs2, STORY)),
        (ninjs2, orjson.dumps({"uri": ninjs2, "pubstatus": "canceled"})),
        (ninjs3, _ninjs(ninjs3, STORY)),
        (ninjs3, orjson.dumps({"uri": ninjs3, "pubStatus": "canceled"})),
        ("t/4", _article("t/4", STORY)),
        ("t/4", None),
    ]
    enricher = Enricher(nlp, TopicClassifier.load(None), Settings())
    return process.run(messages, Settings(), state=State(), enricher=enricher)


def test_every_kill_retraction_and_tombstone_the_pipeline_emits_fits_the_contract(
    withdrawn: list[Outgoing],
) -> None:
    assert not [o for o in withdrawn if o.spec is flow.DEADLETTER]
    document = _asyncapi()
    headers_schema = document["components"]["schemas"]["cloudEventHeaders"]
    headers = Draft202012Validator(headers_schema, format_checker=contracts.FORMAT_CHECKER)
    kinds = {flow.ENTITIES: "entity", flow.QUOTES: "quote", flow.TOPICS: "topic"}
    reasons, statuses, tombstoned = set(), set(), []
    tombstone_headers = Draft202012Validator(
        document["components"]["messages"]["articleTombstone"]["headers"]
    )
    for out in withdrawn:
        if out.event is None:
            # A tombstone: where a killed article is kept, with its kill's headers or none; or a person
            # only killed articles taught.
            assert out.spec in (flow.CLEAN, flow.ENRICHED, flow.PEOPLE_LEARNED), out.spec.name
            written = {k: v.decode() for k, v in out.headers.items()}
            tombstone_headers.validate(written)
            if written:
                headers.validate(written)
            tombstoned.append((out.spec.name, out.key))
            continue
        headers.validate({k: v.decode() for k, v in out.headers.items()})
        if contracts.SCHEMA_FILES[out.spec.name] not in contracts.NEEDS_STANDARDS:
            contracts.validate(out.spec.name, orjson.loads(to_json(out.event)))
        if isinstance(out.event, records.Retraction):
            assert out.event.kind == kinds[out.spec]  # on the topic of the event it withdraws
            reasons.add(out.event.reason)
        if isinstance(out.event, records.Kill):
            assert out.key == out.event.article_id
            statuses.add(out.event.status)
        if out.spec in kinds and not isinstance(out.event, records.Retraction):
            assert out.event.schema_version == "2"
    assert reasons == {"corrected", "withheld", "canceled"}
    assert statuses == {"withheld", "canceled"}
    # Each of the four killed articles is tombstoned on both article topics, by its own id.
    killed = {ID, NEWSML, "https://wire.example/2024/0043", "t/4"}
    assert sorted(tombstoned) == sorted(
        [
            *((spec.name, key) for spec in (flow.CLEAN, flow.ENRICHED) for key in killed),
            # Each article that names Maria Lopez in full is killed before the next arrives: the only
            # one to teach her, each kill forgets her.
            *((flow.PEOPLE_LEARNED.name, "wire.example|maria lopez") for _ in killed),
        ]
    )


# --- the AsyncAPI document's examples ----------------------------------------------------------------


def test_every_example_of_the_asyncapi_document_validates_on_its_topic() -> None:
    document = _asyncapi()
    checked = 0
    for channel in document["channels"].values():
        for ref in channel["messages"].values():
            message = _message(document, ref)
            for example in message.get("examples", []):
                payload = example["payload"]
                if payload is None:  # a tombstone
                    assert message["payload"]["schema"]["type"] == "null"
                else:
                    contracts.validate(channel["address"], payload)
                    assert contracts.schema_file(channel["address"], payload).endswith(
                        message["payload"]["schema"]["$ref"].removeprefix("./")
                    )
                checked += 1
    # Four raw messages (an article and a kill in three forms), a tombstone, a kill, three retractions.
    assert checked == 9
