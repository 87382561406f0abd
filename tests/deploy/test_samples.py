"""The bundled sample feed is valid input end to end through clean, and each bad line fails as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.cleaning.clean import clean
from streams.cleaning.raw import is_ninjs, parse_raw
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SEED = ROOT.parent / "shared" / "seed" / "raw-event.json"
SETTINGS = Settings()
FEED_LINES = (SAMPLES / "feed.jsonl").read_bytes().splitlines()
BAD_LINES = (SAMPLES / "bad.jsonl").read_bytes().splitlines()

# In file order, as samples/README.md lists them; the first five fail intake, the last two the clean stage.
BAD_REASONS = [
    Reason.MALFORMED_JSON,
    Reason.MISSING_FIELD,
    Reason.WRONG_TYPE,
    Reason.EMPTY_BODY,
    Reason.UNSUPPORTED_CONTENT_TYPE,
    Reason.UNSUPPORTED_LANGUAGE,
    Reason.NO_TEXT,
]
INTAKE_REASONS = BAD_REASONS[:5]


def run_clean(line: bytes) -> CleanArticle:
    """Intake then clean, with the settings a worker would use."""
    raw = parse_raw(line, max_body_bytes=SETTINGS.max_body_bytes)
    return clean(
        raw,
        pipeline_version=SETTINGS.pipeline_version,
        languages=SETTINGS.accepted_languages,
        max_paragraphs=SETTINGS.max_paragraphs,
    )


@pytest.mark.shared
def test_feed_opens_with_the_seed_article() -> None:
    assert json.loads(FEED_LINES[0]) == json.loads(SEED.read_bytes())


def test_feed_lines_are_compact_utf8_json() -> None:
    for line in FEED_LINES:
        # One event a line, readable text (ensure_ascii=False), no blank lines to trip a reader.
        assert line.strip() == line and line
        assert b"\\u201c" not in line, "typographic quotes should be stored as UTF-8, not escaped"
        json.loads(line.decode("utf-8"))


def test_feed_covers_the_input_shapes() -> None:
    docs = [json.loads(line) for line in FEED_LINES]
    assert len(docs) == 7
    ninjs = [d for d in docs if is_ninjs(d)]
    assert len(ninjs) == 1
    assert {"uri", "headlines", "bodies", "versioncreated", "language", "copyrightholder"} <= set(ninjs[0])
    ours = [d for d in docs if not is_ninjs(d)]
    assert {d["content_type"] for d in ours} == {"text/plain", "text/html"}
    html = [d for d in ours if d["content_type"] == "text/html"]
    assert len(html) == 1 and all(tag in html[0]["body"] for tag in ("<title>", "<nav>", "<article>", "<h1>"))
    sources = {d.get("source") or d.get("copyrightholder") for d in docs}
    assert len(sources) == len(docs), "every sample comes from a different publisher"


@pytest.mark.parametrize("index", range(len(FEED_LINES)))
def test_every_feed_article_passes_intake_and_clean(index: int) -> None:
    article = run_clean(FEED_LINES[index])
    assert article.language == "en"
    assert article.headline
    assert article.published_at is not None
    assert len(article.paragraphs) >= 5


@pytest.mark.parametrize("index", range(1, len(FEED_LINES)))
def test_original_articles_are_short_news_stories(index: int) -> None:
    # 250-450 words as written; what survives cleaning is the story itself, give or take a line.
    words = sum(len(p.split()) for p in run_clean(FEED_LINES[index]).paragraphs)
    assert 230 <= words <= 460, words


def test_feed_ids_are_unique() -> None:
    ids = [parse_raw(line, max_body_bytes=SETTINGS.max_body_bytes).id for line in FEED_LINES]
    assert len(set(ids)) == len(ids)


def test_plain_text_samples_carry_newsroom_furniture() -> None:
    # The point of the plain-text samples: boilerplate for the clean stage to find and record.
    cleaned = [run_clean(line) for line in FEED_LINES[1:]]
    with_removals = [a for a in cleaned if {r.reason for r in a.removed} - {"metadata"}]
    assert len(with_removals) >= 3
    politics = next(a for a in cleaned if a.source == "example-gazette.co.uk")
    assert [b.name for b in politics.byline] == ["Hannah Pryce"]
    assert politics.published_at is not None and politics.published_at.isoformat().startswith(
        "2026-03-03T14:05"
    )
    assert not any("cookies" in p or "Join the conversation" in p for p in politics.paragraphs)


def test_bad_file_has_one_line_per_documented_reason() -> None:
    assert len(BAD_LINES) == len(BAD_REASONS)


@pytest.mark.parametrize(("index", "reason"), list(enumerate(BAD_REASONS)), ids=[str(r) for r in BAD_REASONS])
def test_each_bad_line_is_refused_with_its_reason(index: int, reason: Reason) -> None:
    line = BAD_LINES[index]
    if reason in INTAKE_REASONS:
        with pytest.raises(Rejected) as refused:
            parse_raw(line, max_body_bytes=SETTINGS.max_body_bytes)
    else:
        # Valid at intake (so `ingest` sends it), refused by the worker's clean stage.
        parse_raw(line, max_body_bytes=SETTINGS.max_body_bytes)
        with pytest.raises(Rejected) as refused:
            run_clean(line)
    assert refused.value.reason == reason
