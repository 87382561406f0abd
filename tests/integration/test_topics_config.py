"""`newsstreams topics apply` and `topics repartition` against the real broker.

apply sets the reviewed configuration (read back with describe_configs, expected values written here from
the review, README: Topics), a second run changes nothing, and it never grows partitions: a larger
NEWSSTREAMS_PARTITIONS is reported with the explicit command, which refuses without --force and with it
grows the flow's topics and the worker's Faust topics alike.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.integration.conftest import ROOT, Broker

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

DAY = 24 * 3600 * 1000
REVIEWED = {
    "news.articles.raw": ("delete", 30 * DAY),
    "news.articles.raw.by-source": ("delete", 30 * DAY),
    "news.articles.syndication": ("delete", 30 * DAY),
    "news.articles.gate": ("delete", 30 * DAY),
    "news.articles.kills": ("compact", -1),
    "news.articles.clean": ("compact", -1),
    "news.articles.enriched": ("compact", -1),
    "news.entities": ("delete", 7 * DAY),
    "news.quotes": ("delete", 7 * DAY),
    "news.topics": ("delete", 7 * DAY),
    "news.people.learned": ("compact", -1),
    "news.entities.trending": ("compact,delete", DAY),
    "news.deadletter": ("delete", 30 * DAY),
}
# The worker's own topics, as Faust names them: each table's changelog and the trending repartition topic.
FAUST_TOPICS = (
    "clean-article-versions-changelog",
    "clean-learned-boilerplate-changelog",
    "enrich-published-changelog",
    "gate-kills-changelog",
    "syndication-changelog",
    "trending-panes-changelog",
    "trending-topics-by-code-repartition",
)
COMMAND = "newsstreams topics repartition --force"


def cli(env: dict[str, str], *args: str, partitions: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.tools.cli", "topics", *args],
        env={**env, "NEWSSTREAMS_PARTITIONS": str(partitions)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def configs(admin: AIOKafkaAdminClient, topics: list[str], want: dict[str, dict[str, str]]) -> Any:
    """Each topic's effective config once the broker answering shows `want` (or after 20 s)."""
    current: dict[str, dict[str, str]] = {}
    for _ in range(100):
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
        )
        current = {r[3]: {e[0]: e[1] for e in r[4]} for response in responses for r in response.resources}
        if all(want[t].items() <= current.get(t, {}).items() for t in topics):
            break
        await asyncio.sleep(0.2)
    return current


async def partitions(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, int]:
    return {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(topics)}


async def test_topics_apply_sets_the_reviewed_configs_and_grows_partitions_only_when_forced(
    kafka: Broker, namespace: str, worker_env: dict[str, str]
) -> None:
    flow_topics = [namespace + name for name in REVIEWED]
    faust_topics = [f"{namespace}newsstreams-{name}" for name in FAUST_TOPICS]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        first = cli(worker_env, "apply", partitions=2)
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[-1] == f"{len(REVIEWED)} change(s)"
        # The single local broker: replication 1, so min.insync.replicas min(2, 1) = 1; 2 MB bodies.
        want = {
            namespace + name: {
                "cleanup.policy": policy,
                "retention.ms": str(retention),
                "max.message.bytes": str(4 * 2_000_000 + 1024 * 1024),
                "min.insync.replicas": "1",
            }
            for name, (policy, retention) in REVIEWED.items()
        }
        current = await configs(admin, flow_topics, want)
        for topic in flow_topics:
            assert {k: current[topic].get(k) for k in want[topic]} == want[topic], topic
        assert await partitions(admin, flow_topics) == dict.fromkeys(flow_topics, 2)

        second = cli(worker_env, "apply", partitions=2)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "0 change(s)"
        assert second.stderr == ""

        # The worker's Faust topics, as a worker started with 2 partitions made them.
        await admin.create_topics([NewTopic(t, num_partitions=2, replication_factor=1) for t in faust_topics])

        # Three partitions configured: apply (run at every worker start) leaves the partitions alone and
        # says which command would change them.
        behind = cli(worker_env, "apply", partitions=3)
        assert behind.returncode == 0, behind.stderr
        assert behind.stdout.strip() == "0 change(s)"
        assert "fewer partitions than the 3 configured" in behind.stderr
        assert COMMAND in behind.stderr
        assert all(f"{t} (2)" in behind.stderr for t in flow_topics)
        assert await partitions(admin, flow_topics + faust_topics) == dict.fromkeys(
            flow_topics + faust_topics, 2
        )

        refused = cli(worker_env, "repartition", partitions=3)
        assert refused.returncode == 2
        assert "refused" in refused.stderr and "--force" in refused.stderr
        assert f"would grow {len(flow_topics) + len(faust_topics)} topic(s) to 3 partitions" in refused.stderr
        assert await partitions(admin, flow_topics + faust_topics) == dict.fromkeys(
            flow_topics + faust_topics, 2
        )

        forced = cli(worker_env, "repartition", "--force", partitions=3)
        assert forced.returncode == 0, forced.stderr
        assert forced.stdout.splitlines()[-1] == f"{len(flow_topics) + len(faust_topics)} change(s)"
        grown = await partitions(admin, flow_topics + faust_topics)
        assert grown == dict.fromkeys(flow_topics + faust_topics, 3)

        # Nothing left to do, and Kafka cannot take partitions away: asking for fewer is refused.
        again = cli(worker_env, "apply", partitions=3)
        assert (again.stdout.strip(), again.stderr) == ("0 change(s)", "")
        fewer = cli(worker_env, "repartition", "--force", partitions=2)
        assert fewer.returncode == 2 and "cannot remove partitions" in fewer.stderr
        assert await partitions(admin, flow_topics) == dict.fromkeys(flow_topics, 3)
    finally:
        await admin.close()


async def test_the_worker_declares_its_own_topics_before_it_subscribes(
    kafka: Broker, namespace: str, worker_env: dict[str, str]
) -> None:
    from streams.kafka.admin import declare_missing
    from streams.settings import Settings
    from streams.worker.app import create_app, faust_topics

    settings = Settings.from_env(worker_env)
    names = [f"{namespace}newsstreams-{name}" for name in FAUST_TOPICS]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        changes = await declare_missing(settings, faust_topics(create_app(settings), settings))
        assert sorted(c.topic for c in changes) == names
        # On return every partition has a leader: a consumer subscribing now finds them all.
        described = {d["topic"]: d["partitions"] for d in await admin.describe_topics(names)}
        assert {t: len(p) for t, p in described.items()} == dict.fromkeys(names, settings.partitions)
        assert all(p["leader"] >= 0 for parts in described.values() for p in parts)
        # Faust's changelogs are compacted; its repartition topic keeps the broker's default (delete).
        want = {t: {"cleanup.policy": "delete" if t.endswith("-repartition") else "compact"} for t in names}
        current = await configs(admin, names, want)
        assert {t: current[t]["cleanup.policy"] for t in names} == {
            t: w["cleanup.policy"] for t, w in want.items()
        }
        assert {current[t]["max.message.bytes"] for t in names} == {str(settings.max_message_bytes)}
        # A second worker starting finds them there.
        assert await declare_missing(settings, faust_topics(create_app(settings), settings)) == []
    finally:
        await admin.close()
