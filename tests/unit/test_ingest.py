"""`newsstreams ingest` says what went wrong, where, and what to do, with an exit code a script can act on."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from streams.settings import Settings
from streams.tools.cli import main
from streams.tools.ingest import Exit, validate
from tests.conftest import raw_article
from tests.kafka_fixtures import free_port

ARTICLE = raw_article("Maria Lopez, the finance minister, announced a new budget for Madrid on Monday.")


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> str:
    """Settings pointing at a port where nothing listens: any attempt to send fails fast."""
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("NEWSSTREAMS_BROKER", f"kafka://{address}")
    return address


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ingest", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_missing_path_is_one_line_and_bad_usage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nope.jsonl"))
    assert code == Exit.NOTHING_SENT == 2
    assert err.strip() == f"ingest: no such file or folder: {tmp_path / 'nope.jsonl'}"


def test_a_json_array_names_its_file_and_line_and_says_json_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_broker: str
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b"[1, 2, 3]\n")
    code, out, err = _run(capsys, str(feed))
    # Nothing valid: no broker is contacted (it would have been unreachable, exit 3).
    assert code == Exit.NOTHING_SENT
    assert f"{feed}:1: rejected (not_an_object)" in err and "JSON Lines" in err
    assert out.strip() == "sent 0, rejected 1 (not_an_object: 1)"


def test_each_bad_line_is_reported_with_its_detail_and_hint(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    too_big = raw_article("x " * 1_000, id="big")
    feed.write_bytes(b"\n".join([ARTICLE, b'{"id": "broken', too_big, b'{"id": "a", "source": "s"}']) + b"\n")
    said: list[str] = []
    messages, summary = validate([feed], Settings(max_body_bytes=1_000), source=None, say=said.append)
    assert [key for key, _ in messages] == [b"a1"]
    assert summary.rejected == {"malformed_json": 1, "too_large": 1, "missing_field": 1}
    assert [line.split(": rejected")[0] for line in said] == [f"{feed}:2", f"{feed}:3", f"{feed}:4"]
    assert "NEWSSTREAMS_MAX_BODY_BYTES (1,000 bytes)" in said[1]
    assert "schemas/raw-article.schema.json" in said[2]


def test_a_folder_lists_the_files_it_skips_and_reads_gzipped_pages(tmp_path: Path) -> None:
    page = b"<html><head><title>Budget</title></head><body><article><p>" + b"The minister spoke. " * 20
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(page))
    # Gzipped bytes under a plain .html name: read by their first bytes.
    (tmp_path / "d.html").write_bytes(gzip.compress(page))
    said: list[str] = []
    messages, summary = validate([tmp_path], Settings(), source="harbour", say=said.append)
    assert sorted(key for key, _ in messages) == [b"harbour/c", b"harbour/d"]
    assert [p.name for p in summary.skipped] == ["a.pdf", "b.jpg"]
    assert len(said) == 2 and all("skipped, not an article file" in line for line in said)
    assert all(orjson.loads(value)["content_type"] == "text/html" for _, value in messages)


def test_binary_input_hints_at_gzip(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(raw_article("\x00\x01\x02\x03" * 50) + b"\n")
    said: list[str] = []
    validate([feed], Settings(), source=None, say=said.append)
    [line] = said
    assert "rejected (binary)" in line and "gzip" in line


def test_an_unreachable_broker_is_one_line_and_its_own_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_broker: str
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(ARTICLE + b"\n")
    code, out, err = _run(capsys, str(feed))
    assert code == Exit.BROKER_UNREACHABLE == 3
    assert err.startswith(f"ingest: cannot reach the Kafka broker at {no_broker}") and err.count("\n") == 1
    assert "Traceback" not in err and out == ""
