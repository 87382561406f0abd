"""The demo's continuous feed: fresh, current, varied news articles at a gentle rate.

Each article is new: a new id, the time it is sent, one of several sources, and its own wording built from a
cast of people, organisations and places, so syndication and learned boilerplate do not swallow the feed.
Every few minutes a different story leads, so the dashboard's trending panels have something rising.
Deterministic for a given seed: a test can replay exactly what the demo sent.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SOURCES = ("demo-herald.example", "demo-wire.example", "demo-courier.example", "demo-post.example")


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    org: str


CAST = (
    Person("Amara Okafor", "finance minister", "the Treasury"),
    Person("Lukas Brandt", "chief executive", "Northwind Energy"),
    Person("Sofia Marquez", "mayor", "Port Alder City Council"),
    Person("Daniel Whitcombe", "opposition leader", "the Progressive Alliance"),
    Person("Mei Lin Zhou", "head of research", "the Harbour Institute"),
    Person("Tomasz Nowak", "coach", "Riverside Rovers"),
    Person("Helen Abara", "health secretary", "the Department of Health"),
    Person("Rafael Costa", "union leader", "the Transport Workers Union"),
)
PLACES = ("Port Alder", "Kingsbridge", "Lisbon", "Nairobi", "Glasgow", "Osaka", "Valparaiso", "Bergen")
STORIES = (
    ("budget", "{org} sets out spending plans for {place}", "the new spending plans", "the budget"),
    ("energy", "Power prices in {place} under scrutiny", "the rise in power prices", "energy bills"),
    ("transport", "Strike threat over {place} rail services", "the planned strike", "the rail dispute"),
    (
        "health",
        "Hospitals in {place} brace for a busy winter",
        "winter pressure on hospitals",
        "waiting lists",
    ),
    ("sport", "{org} reach the county cup final in {place}", "Saturday's semi-final", "the final"),
    ("science", "Coastal erosion study published in {place}", "the erosion findings", "the coastline"),
)
OPENINGS = (
    "{person}, the {role} of {org}, spoke in {place} on {day} {when} about {subject}, {audience}.",
    "{org} came under pressure in {place} on {day} {when} over {subject}, {audience}.",
    "Officials in {place} met on {day} {when} to discuss {subject}, with {person} of {org} among them.",
)
QUOTES = (
    "“We will not let {topic} drift, {clause},” said {person} in {place}.",
    "“This is a test for everyone involved in {topic}, {clause},” {person} told reporters in {place}.",
    "“Our priority is {topic}, {clause},” said {person}, the {role}, in {place}.",
    "“Nobody should pretend {topic} is simple, {clause},” said {person} of {org} in {place}.",
)
CLAUSES = (
    "and {other} knows that as well as anyone",
    "whatever {other_org} may say",
    "and the people of {place2} deserve clear answers",
    "and we will report back in {month}",
    "because the families who wrote to us are right",
    "even if the timetable slips",
    "and nobody at {other_org} has offered anything better",
    "and I said so to {other} this week",
)
FOLLOW_UPS = (
    "{other}, the {other_role} of {other_org}, questioned the timetable and asked for {n2} sets of figures on {topic}.",
    "Critics including {other} of {other_org} said the plans for {topic} came {n2} months too late for {place}.",
    "A spokesperson for {other_org} said it would respond to {person} on {topic} by {month}.",
    "Residents of {place} said {topic} had dominated conversations since {month}, a poll of {n1:,} found.",
)
CLOSINGS = (
    "Further talks are expected in {place2} in {month}.",
    "A report on {topic}, {n3} pages long, is due to be published before {month}.",
    "{org} said it would publish its response online within {n2} days.",
)
WHEN = (
    "morning",
    "afternoon",
    "evening",
    "at a press conference",
    "in a radio interview",
    "at a public meeting",
)
AUDIENCES = (
    "before an audience of {n3} people",
    "in remarks lasting {n2} minutes",
    "a day after {n1:,} residents signed a petition",
    "as {n3} protesters gathered outside",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LEAD_SECONDS = 180  # how long one story leads the feed before another takes over


def _lead(seed: int, elapsed: float) -> tuple[int, int]:
    """The leading (story, person) for this stretch of the feed."""
    stretch = random.Random(f"{seed}/{int(elapsed // LEAD_SECONDS)}")
    return stretch.randrange(len(STORIES)), stretch.randrange(len(CAST))


def article(n: int, rng: random.Random, now: datetime, lead: tuple[int, int]) -> dict[str, Any]:
    """The n-th article of the feed: a raw-article JSON object (the `news.articles.raw` contract)."""
    lead_story, lead_person = lead
    leading = rng.random() < 0.5  # half of the feed follows the leading story
    story = STORIES[lead_story if leading else rng.randrange(len(STORIES))]
    person = CAST[lead_person if leading else rng.randrange(len(CAST))]
    other = rng.choice([p for p in CAST if p != person])
    place, place2 = rng.sample(PLACES, 2)
    slots = {
        "person": person.name,
        "role": person.role,
        "org": person.org,
        "other": other.name,
        "other_role": other.role,
        "other_org": other.org,
        "place": place,
        "place2": place2,
        "day": DAYS[now.weekday()],
        "subject": story[2],
        "topic": story[3],
        "when": rng.choice(WHEN),
        "month": rng.choice(MONTHS),
        "n1": rng.randint(1_000, 90_000),
        "n2": rng.randint(2, 12),
        "n3": rng.randint(20, 400),
    }
    slots["audience"] = rng.choice(AUDIENCES).format(**slots)
    slots["clause"] = rng.choice(CLAUSES).format(**slots)
    paragraphs = [
        rng.choice(OPENINGS),
        rng.choice(QUOTES),
        *rng.sample(FOLLOW_UPS, 2),
        rng.choice(CLOSINGS),
    ]
    # A number that only this article has keeps two articles from the same slots from being near-copies.
    figures = f"The figures cited on {DAYS[now.weekday()]} covered {rng.randint(2, 900):,} households."
    texts = [p.format(**slots) for p in paragraphs]
    texts.insert(2, figures)
    body = "\n\n".join(t[:1].upper() + t[1:] for t in texts)
    source = rng.choice(SOURCES)
    return {
        "id": f"{source}/demo/{now:%Y%m%d}/{n}-{rng.getrandbits(32):08x}",
        "source": source,
        "content_type": "text/plain",
        "headline": story[1].format(**slots),
        "body": body,
        "published_at": now.isoformat(),
        "language": "en",
    }


def articles(seed: int = 0, clock: Any = None) -> Iterator[dict[str, Any]]:
    """An endless feed; `clock()` gives the current time (UTC) for each article."""
    rng = random.Random(seed)
    now = clock or (lambda: datetime.now(UTC))
    start = now()
    n = 0
    while True:
        n += 1
        moment = now()
        yield article(n, rng, moment, _lead(seed, (moment - start).total_seconds()))
