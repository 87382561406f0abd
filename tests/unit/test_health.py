"""Liveness: an agent counts as dead when none of its actors runs, not when one of them once crashed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.health import dead_agents


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
