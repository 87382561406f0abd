"""The `newsstreams` command: worker, ingest, process, eval and the local demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from streams.settings import Settings


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from streams.app import run_worker

    run_worker(settings, loglevel=args.loglevel)
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from streams.ingest import ingest

    summary = asyncio.run(ingest(args.inputs, settings, source=args.source, progress=not args.quiet))
    print(summary.describe())
    return 0 if summary.sent or not summary.rejected else 1


def _process(args: argparse.Namespace, settings: Settings) -> int:
    from streams import process, sources

    outputs = process.run(sources.read(args.inputs, source=args.source), settings)
    counts = process.write(outputs, args.out, settings)
    for name, count in sorted(counts.items()):
        print(f"{args.out / (name + '.jsonl')}: {count} events")
    return 0


def _topics(args: argparse.Namespace, settings: Settings) -> int:
    from streams import admin

    if args.action == "apply":
        changes = asyncio.run(admin.apply(settings, suffix=args.suffix))
        for change in changes:
            print(f"{change.topic}: {change.action} ({change.detail})")
        print(f"{len(changes)} change(s)")
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from streams.evaluation import run_all

    return run_all(args.folder, settings, only=args.only, json_out=args.json)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from streams.demo import run_demo

    return run_demo(settings, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsstreams", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("worker", help="run the Faust worker (all stages)")
    p.add_argument("--loglevel", default=None)
    p.set_defaults(func=_worker)

    p = sub.add_parser("ingest", help="publish raw articles (JSONL, ninjs, .txt/.html files, folders)")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("--source", default="local", help="publisher name for .txt/.html files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("process", help="run the stages in-process without Kafka")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True, help="folder for <topic>.jsonl files")
    p.add_argument("--source", default="local", help="publisher name for .txt/.html files")
    p.set_defaults(func=_process)

    p = sub.add_parser("topics", help="create/update every topic of the flow from its declaration")
    p.add_argument("action", choices=["apply"])
    p.add_argument("--suffix", default="", help="suffix for output topics (side topics for replays)")
    p.set_defaults(func=_topics)

    p = sub.add_parser("eval", help="measure quality on a folder laid out like shared/eval")
    p.add_argument("folder", type=Path)
    p.add_argument("--only", default="", help="comma-separated metrics (aeb,ner,quotes,topics)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    p.set_defaults(func=_eval)

    p = sub.add_parser("demo", help="local Kafka + worker + sample feed, events shown until Ctrl-C")
    p.add_argument("--port", type=int, default=9092, help="local Kafka port")
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())
