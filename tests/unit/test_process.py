"""`newsstreams process` runs the stages with no Kafka and writes one JSONL file per topic."""

from pathlib import Path

import orjson

from streams.tools.cli import main
from tests.conftest import seed_raw_line


def test_process_writes_one_clean_event_for_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "raw-event.json"
    seed.write_bytes(seed_raw_line())
    assert main(["process", str(seed), "--out", str(tmp_path)]) == 0
    lines = (tmp_path / "news.articles.clean.jsonl").read_bytes().splitlines()
    assert len(lines) == 1
    event = orjson.loads(lines[0])
    assert event["article_id"] == "independent.co.uk/boris-johnson-sergei-lavrov-moscow-2017-12-22"
    assert any(p.startswith("Boris Johnson has clashed publicly") for p in event["paragraphs"])


def test_process_dead_letters_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    good = seed_raw_line().strip()
    feed.write_bytes(b'{"id": "x", "source": \n' + good + b"\n" + b'{"id": "y", "source": "s"}\n')
    out = tmp_path / "out"
    assert main(["process", str(feed), "--out", str(out)]) == 0
    dead = [orjson.loads(x) for x in (out / "news.deadletter.jsonl").read_bytes().splitlines()]
    assert [d["reason"] for d in dead] == ["malformed_json", "missing_field"]
    assert len((out / "news.articles.clean.jsonl").read_bytes().splitlines()) == 1


def test_text_files_become_articles(tmp_path: Path) -> None:
    (tmp_path / "story one.txt").write_text("A headline\n\nThe first paragraph of the story is here.\n")
    out = tmp_path / "out"
    assert main(["process", str(tmp_path / "story one.txt"), "--out", str(out), "--source", "desk"]) == 0
    [line] = (out / "news.articles.clean.jsonl").read_bytes().splitlines()
    event = orjson.loads(line)
    assert event["article_id"] == "desk/story-one"
    assert event["source"] == "desk"
