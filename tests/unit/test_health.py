"""Liveness: an agent counts as dead when none of its actors runs, not when one of them once crashed.
Readiness: only once the worker's consumer, table recovery and own start-up are done."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from streams.worker.health import dead_agents, is_ready


@dataclass
class FakeActor:
    crashed: bool = False
    should_stop: bool = False


@dataclass
class FakeAgent:
    # Faust keeps an agent's actors in a set it only ever adds to (Agent._prepare_actor).
    _actors: list[FakeActor] = field(default_factory=list)


@dataclass
class FakeApp:
    agents: dict[str, Any]


def test_running_agents_are_live() -> None:
    app = FakeApp({"intake": FakeAgent([FakeActor()]), "clean": FakeAgent([FakeActor()])})
    assert dead_agents(app) == []  # type: ignore[arg-type]


def test_an_agent_whose_only_actor_crashed_is_dead() -> None:
    app = FakeApp({"intake": FakeAgent([FakeActor()]), "enrich": FakeAgent([FakeActor(crashed=True)])})
    assert dead_agents(app) == ["enrich"]  # type: ignore[arg-type]


def test_a_stopped_agent_and_one_without_actors_are_dead() -> None:
    app = FakeApp({"clean": FakeAgent([FakeActor(should_stop=True)]), "enrich": FakeAgent([])})
    assert dead_agents(app) == ["clean", "enrich"]  # type: ignore[arg-type]


def test_a_crashed_actor_beside_its_running_replacement_is_a_live_agent() -> None:
    # What the supervisor leaves after restarting a crashed actor: the worker is doing the agent's work.
    app = FakeApp({"intake": FakeAgent([FakeActor(crashed=True), FakeActor()])})
    assert dead_agents(app) == []  # type: ignore[arg-type]


class FakeEvent:
    def __init__(self, value: bool) -> None:
        self.value = value

    def is_set(self) -> bool:
        return self.value


class FakeConsumer:
    def __init__(self, assigned: set[str]) -> None:
        self.assigned = assigned

    def assignment(self) -> set[str]:
        return self.assigned


def readiness_app(*, recovered: bool | None, assigned: set[str] | None) -> SimpleNamespace:
    recovery = None if recovered is None else SimpleNamespace(completed=FakeEvent(recovered))
    consumer = None if assigned is None else FakeConsumer(assigned)
    return SimpleNamespace(tables=SimpleNamespace(_recovery=recovery), _consumer=consumer, rebalancing=False)


def test_readiness_never_builds_faust_services_from_the_web_thread() -> None:
    # Before the worker made its consumer and table recovery, asking for them would build them bound to
    # the web thread's loop: readiness says "starting" instead.
    assert is_ready(cast(Any, readiness_app(recovered=None, assigned=None))) == (False, "starting")
    assert is_ready(cast(Any, readiness_app(recovered=True, assigned=None))) == (False, "starting")


def test_readiness_follows_recovery_assignment_and_the_workers_own_checks() -> None:
    assert is_ready(cast(Any, readiness_app(recovered=False, assigned={"t"}))) == (False, "recovering tables")
    assert is_ready(cast(Any, readiness_app(recovered=True, assigned=set()))) == (
        False,
        "no partitions assigned",
    )
    app = cast(Any, readiness_app(recovered=True, assigned={"t"}))
    assert is_ready(app) == (True, "ready")
    assert is_ready(app, [lambda: None, lambda: "loading the NLP models"]) == (
        False,
        "loading the NLP models",
    )
