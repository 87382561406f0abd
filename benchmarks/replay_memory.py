"""Replay memory at scale (outside CI): publish N short articles (the reliability suite's generator) to a
local broker, replay them into side topics, and compare the replaying process's RSS after 2,000 messages
with its RSS at the end. Issue 24's bound: at most 50 MB more at 20,000.

    .venv/bin/python benchmarks/replay_memory.py [--articles 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streams.events import flow
from streams.kafka import local
from streams.kafka.admin import apply
from streams.settings import Settings
from streams.tools.replay import Summary, replay
from tests.reliability.articles import good_messages
from tests.reliability.checker import send_all

MB = 1024 * 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def publish(settings: Settings, count: int) -> None:
    await apply(settings)
    await send_all(settings.bootstrap_servers, settings.topic(flow.RAW.name), good_messages("mem", count))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--at", type=int, default=2_000, help="the early point RSS is compared with")
    args = parser.parse_args()
    samples: dict[str, float] = {}

    def on_step(summary: Summary) -> None:
        if "early" not in samples and summary.read >= args.at:
            samples["early"], samples["early_read"] = rss_mb(), summary.read
        samples["peak"] = max(samples.get("peak", 0.0), rss_mb())

    with local.running() as kafka:
        settings = dataclasses.replace(Settings.from_env({}), broker=kafka.broker, topic_prefix="mem.")
        asyncio.run(publish(settings, args.articles))
        started = time.monotonic()
        summary = asyncio.run(replay(settings, suffix=".v2", progress=False, on_step=on_step))
        seconds = time.monotonic() - started
    end = rss_mb()
    print(summary.describe())
    print(
        f"RSS after {samples['early_read']:.0f} messages {samples['early']:.1f} MB, after {summary.read} "
        f"{end:.1f} MB (peak {samples['peak']:.1f}): {end - samples['early']:+.1f} MB; {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
