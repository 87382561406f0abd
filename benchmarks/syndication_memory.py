"""Memory of the syndication index (outside CI): N distinct articles through the hops of P partitions in one
process, the table's values dropped as a RocksDB store keeps them off the Python heap; prints the bytes an
article and an entry cost, measured by tracemalloc.

    .venv/bin/python benchmarks/syndication_memory.py [--articles 20000] [--partitions 4] [--batch 100]
        [--keep-values]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streams.cleaning.boilerplate import Syndication
from streams.cleaning.syndication import SyndicationIndex, band_keys, band_partition, route


class KeysOnly(dict[str, Any]):
    """A table whose values live elsewhere (RocksDB): only its keys are on the heap."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100, help="hops between two flushes (the worker's batch)")
    parser.add_argument("--keep-values", action="store_true", help="a dict table (an in-memory store)")
    args = parser.parse_args()
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(5000)]
    bodies = [[" ".join(rng.choice(vocabulary) for _ in range(300))] for _ in range(args.articles)]
    signatures = [Syndication({}).signature(b) for b in bodies]
    index = SyndicationIndex({} if args.keep_values else KeysOnly(), days=31)
    gc.collect()
    tracemalloc.start()
    hops = 0
    for n, signature in enumerate(signatures):
        bands = band_keys(signature)
        for p in route(bands, args.partitions):
            mine = [b for b in bands if band_partition(b, args.partitions) == p]
            # Each hop's signature arrives decoded from its own Kafka message, as in the worker.
            index.visit(p, f"article-{n}", orjson.loads(orjson.dumps(signature)), float(n), 1.7e9 + n, mine)
            hops += 1
            if hops % args.batch == 0:
                for q in range(args.partitions):
                    index.flush(q)
    for q in range(args.partitions):
        index.flush(q)
    gc.collect()
    used, _ = tracemalloc.get_traced_memory()
    entries = index.size()
    print(
        f"{args.articles} articles, {args.partitions} partitions, {entries} entries: "
        f"{used / args.articles:.0f} bytes an article, {used / entries:.0f} an entry, {used / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
