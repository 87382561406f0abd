"""The `newsstreams` command: worker, ingest, process, eval and the local demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from streams.settings import Settings


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from streams.worker.app import run_worker

    run_worker(settings, loglevel=args.loglevel)
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools.ingest import IngestError, ingest

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        summary = asyncio.run(
            ingest(args.inputs, settings, source=args.source, progress=not args.quiet, say=say)
        )
    except IngestError as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return int(exc.code)
    print(summary.describe())
    return int(summary.exit)


def _process(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools import process, sources

    outputs = process.run(sources.read(args.inputs, source=args.source), settings)
    counts = process.write(outputs, args.out, settings)
    for name, count in sorted(counts.items()):
        print(f"{args.out / (name + '.jsonl')}: {count} events")
    return 0


def _topics(args: argparse.Namespace, settings: Settings) -> int:
    from streams.kafka import admin

    def warn(line: str) -> None:
        print(f"topics {args.action}: {line}", file=sys.stderr)

    if args.action in ("apply", "repartition"):
        if args.action == "apply":
            changes = asyncio.run(admin.apply(settings, suffix=args.suffix, say=warn))
        else:
            from streams.worker.app import internal_topics

            try:
                changes = asyncio.run(
                    admin.repartition(settings, force=args.force, internal=internal_topics(settings))
                )
            except admin.RepartitionRefused as exc:
                warn(f"refused: {exc}")
                return 2
        for change in changes:
            print(f"{change.topic}: {change.action} ({change.detail})")
        print(f"{len(changes)} change(s)")
        return 0
    for state in asyncio.run(admin.describe(settings)):
        lag = ", ".join(f"{group} lag {n}" for group, n in state.lag.items()) or "no consumer group"
        config = ", ".join(f"{k}={v}" for k, v in sorted(state.config.items()))
        print(
            f"{state.topic:<40} {state.partitions:>3} partitions {state.messages:>8} messages  {config}  {lag}"
        )
    return 0


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from streams.tools.replay import ReplayRefused, replay

    if args.pipeline_version:
        settings = dataclasses.replace(settings, pipeline_version=args.pipeline_version)
    offsets: dict[int, int] | None = None
    if args.offsets:
        offsets = {int(p): int(o) for p, o in (part.split(":") for part in args.offsets.split(","))}
    try:
        summary = asyncio.run(
            replay(
                settings,
                suffix=args.suffix,
                since=args.since,
                until=args.until,
                offsets=offsets,
                progress=not args.quiet,
            )
        )
    except ReplayRefused as exc:
        print(f"replay refused: {exc}", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools import diff

    def load(spec: str) -> dict:
        if spec.startswith("kafka:"):
            return asyncio.run(diff.read_topics(settings, spec.removeprefix("kafka:")))
        return diff.read_folder(Path(spec))

    result = diff.compare(load(args.a), load(args.b))
    print(diff.report(result))
    return 0 if all(d.unchanged for d in result.values()) else 1


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools.evaluation import run_all

    return run_all(args.folder, settings, only=args.only, json_out=args.json)


def _train_topics(args: argparse.Namespace, settings: Settings) -> int:
    from streams.enrichment.iptc import DEFAULT_RECIPE, train

    if args.solver == "svm":
        recipe = {**DEFAULT_RECIPE, "primary_only": args.primary_only}
        if args.balance is not None:
            recipe["balance"] = args.balance
        out = train(args.data, args.out, **recipe)
    else:
        out = train(args.data, args.out, epochs=args.epochs, seed=args.seed, primary_only=args.primary_only)
    print(f"trained topic model written to {out}; use it with NEWSSTREAMS_TOPIC_MODEL={out}")
    return 0


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools.bench import run_bench

    run_bench(settings, args.corpus, args.articles, args.out, machine_layout=args.machine)
    return 0


def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from streams.web.server import run

    run(settings)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from streams.tools.demo import run_demo

    return run_demo(settings, port=args.port, rate=args.rate)


def _source_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        default=None,
        help="publisher of .txt/.html files (default: an HTML page's own name, 'local' for text)",
    )


def _add_quality_and_speed(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The operator's measuring commands: eval, train-topics, bench."""
    p = sub.add_parser("eval", help="measure quality on a folder laid out like shared/eval")
    p.add_argument("folder", type=Path)
    p.add_argument(
        "--only", default="", help="comma-separated metrics (aeb,judged,ner,quotes,topics,topics17)"
    )
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    p.set_defaults(func=_eval)

    p = sub.add_parser("train-topics", help="train an IPTC topic classifier on a labelled JSONL archive")
    p.add_argument("data", type=Path, help='JSONL lines {"text": ..., "topics": ["medtop:...", ...]}')
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument(
        "--solver",
        choices=("adam", "svm"),
        default="svm",
        help="svm: TF-IDF + one-vs-rest linear SVM, the shipped model's recipe; adam: the earlier "
        "5-subject model's (see streams/data/topics/MODEL_CARD.md)",
    )
    p.add_argument(
        "--primary-only",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="learn each line's first top-level code as its subject, the others as weaker positives; "
        "--no-primary-only learns every listed code (multi-label)",
    )
    p.add_argument("--balance", type=float, default=None, help="svm only: class weighting power, 0-1")
    p.add_argument("--epochs", type=int, default=30, help="adam only")
    p.add_argument("--seed", type=int, default=0, help="adam only")
    p.set_defaults(func=_train_topics)

    p = sub.add_parser(
        "bench",
        help="throughput against plain nlp.pipe (one process and all cores), latency, memory, Kafka records",
    )
    p.add_argument(
        "--corpus", type=Path, default=None, help="JSONL/folder of articles (default: sample feed)"
    )
    p.add_argument("--articles", type=int, default=600, help="articles per run (the corpus repeats)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/bench.json"))
    p.add_argument(
        "--machine",
        choices=("workers", "nlp-processes"),
        default="workers",
        help="the all-cores phase: a worker per core (default), or one worker with an NLP process per core",
    )
    p.set_defaults(func=_bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsstreams", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("worker", help="run the Faust worker (all stages)")
    p.add_argument("--loglevel", default=None)
    p.set_defaults(func=_worker)

    p = sub.add_parser("ingest", help="publish raw articles (JSONL, ninjs, .txt/.html files, folders)")
    p.add_argument("inputs", nargs="+", type=Path)
    _source_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("process", help="run the stages in-process without Kafka")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True, help="folder for <topic>.jsonl files")
    _source_option(p)
    p.set_defaults(func=_process)

    p = sub.add_parser("topics", help="apply the flow's topic declarations (not partitions); repartition")
    p.add_argument("action", choices=["apply", "describe", "repartition"])
    p.add_argument("--suffix", default="", help="suffix for output topics (side topics for replays)")
    p.add_argument(
        "--force", action="store_true", help="repartition: grow topics and changelogs, moving keys"
    )
    p.set_defaults(func=_topics)

    p = sub.add_parser("replay", help="reprocess news.articles.raw into live topics or side topics")
    p.add_argument("--suffix", default="", help="publish to side topics with this suffix (e.g. .v2)")
    p.add_argument("--since", type=_datetime, default=None, help="ISO 8601 time; from then on")
    p.add_argument("--until", type=_datetime, default=None, help="ISO 8601 time; up to then")
    p.add_argument("--offsets", default="", help="start offsets per partition, e.g. 0:120,1:98")
    p.add_argument("--pipeline-version", default="", help="pipeline_version of the replayed events")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_replay)

    p = sub.add_parser("diff", help="compare two output sets: process folders or kafka:<suffix>")
    p.add_argument("a", help="a folder of <topic>.jsonl, or kafka: / kafka:.v2 for topics")
    p.add_argument("b")
    p.set_defaults(func=_diff)

    _add_quality_and_speed(sub)

    p = sub.add_parser("dashboard", help="the live newsroom dashboard (reads the downstream topics)")
    p.set_defaults(func=_dashboard)

    p = sub.add_parser("demo", help="local Kafka + worker + sample feed, events shown until Ctrl-C")
    p.add_argument("--port", type=int, default=9092, help="local Kafka port")
    p.add_argument(
        "--rate",
        type=float,
        default=0.5,
        help="fresh demo articles a second after the sample feed (0: the sample feed only)",
    )
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())
