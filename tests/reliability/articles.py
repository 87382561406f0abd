"""Short synthetic news articles (60–120 words, a name or two and a quote) and poison messages."""

from __future__ import annotations

import random

import orjson

# Varied enough that spaCy sees different sentences; short enough that a 2-core machine parses hundreds
# a second. Each template names people, an organisation or a place and carries one attributed quote.
PEOPLE = [
    "Maria Lopez",
    "James Carter",
    "Aisha Bello",
    "Tomas Novak",
    "Hannah Schmidt",
    "Kenji Watanabe",
    "Olivia Brennan",
    "Rahul Mehta",
    "Sofia Rossi",
    "Daniel Okafor",
]
ORGS = ["the World Bank", "Reuters", "the European Commission", "Siemens", "the United Nations", "Amnesty"]
PLACES = ["Berlin", "Nairobi", "Toronto", "Madrid", "Jakarta", "Chicago", "Lisbon", "Warsaw"]
TEMPLATES = [
    (
        "{a}, the finance minister, announced a new budget for {place} on {day}, promising lower taxes "
        "for small businesses and more money for schools. Opposition leader {b} criticised the plan in "
        'parliament. "This budget ignores the families who need help most," {b} said. Economists at '
        "{org} expect growth of about two percent next year, although inflation remains a concern for "
        "many households across the country."
    ),
    (
        "Heavy rain flooded parts of {place} on {day}, forcing hundreds of residents to leave their homes. "
        "Emergency crews worked through the night to rescue people trapped in cars. "
        '"We have never seen water rise this fast," said {a}, who leads the local fire service. '
        "{org} said it would send aid, and forecasters warned that more storms could arrive later in the "
        "week."
    ),
    (
        "{a} scored twice as the home side beat their rivals 3-1 in {place} on {day}, moving to the top of "
        "the league table. The coach, {b}, praised the team's defence after a difficult first half. "
        '"The players showed real character today," {b} told reporters after the match. Tickets for the '
        "next game sold out within hours, according to the club."
    ),
    (
        "Researchers in {place} say a new battery design could halve the cost of storing solar power. "
        'The study, led by {a}, was published on {day}. "Cheaper storage changes everything for the grid," '
        "{a} said in an interview. Engineers at {org} plan to test the cells in a pilot project next "
        "year, and investors have already shown strong interest in the technology."
    ),
    (
        "Talks between the government and teachers' unions in {place} broke down on {day} after ten hours "
        'of negotiations. "We are still far apart on pay," said union leader {a}. Education minister {b} '
        "said the offer on the table was fair and urged teachers to return to classrooms. Schools across "
        "the region could stay closed next week if no deal is reached, officials at {org} warned."
    ),
    (
        "Shares in {org} rose sharply on {day} after the company reported record profits for the quarter. "
        "Chief executive {a} told investors in {place} that demand for its products remained strong. "
        '"We expect another good year, despite the uncertainty in the markets," {a} said. Analysts, '
        "including {b}, cautioned that higher interest rates could slow sales later this year."
    ),
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def article(article_id: str, seed: int, *, source: str | None = None) -> dict[str, object]:
    """One raw article (the input contract), the same for the same seed."""
    rng = random.Random(seed)
    a, b = rng.sample(PEOPLE, 2)
    body = rng.choice(TEMPLATES).format(
        a=a, b=b, org=rng.choice(ORGS), place=rng.choice(PLACES), day=rng.choice(DAYS)
    )
    # A per-article sentence keeps every body distinct: the clean stage's syndication check and
    # learned boilerplate see new text, as they would in a real feed.
    body += f" The report, filed as story number {seed}, was updated later that day."
    return {
        "id": article_id,
        "source": source or f"wire-{seed % 5}.example",
        "content_type": "text/plain",
        "headline": f"{a} and {b}: story {seed}",
        "body": body,
        "language": "en",
        "published_at": f"2026-11-{1 + seed % 26:02d}T{seed % 24:02d}:15:00+00:00",
    }


def good_messages(prefix: str, count: int, *, start: int = 0) -> list[tuple[bytes, bytes]]:
    """`count` keyed raw messages with ids `<prefix>-<n>`."""
    return [
        (f"{prefix}-{n}".encode(), orjson.dumps(article(f"{prefix}-{n}", n)))
        for n in range(start, start + count)
    ]


def _raw(article_id: str, body: str, **fields: object) -> bytes:
    return orjson.dumps(
        {"id": article_id, "source": "poison.example", "content_type": "text/plain", "body": body, **fields}
    )


def poison(n: int) -> tuple[str, bytes, str]:
    """The n-th poison message, cycling through every kind: (key, bytes, the reason it must get)."""
    key = f"poison-{n}"
    kinds: list[tuple[bytes, str]] = [
        (b'{"id": "' + key.encode() + b'", "source": ', "malformed_json"),
        (b"[1, 2, 3]", "not_an_object"),
        (orjson.dumps({"id": key, "source": "s", "content_type": "text/plain"}), "missing_field"),
        (_raw(key, "x").replace(b'"body":"x"', b'"body":42'), "wrong_type"),
        (_raw(key, "  \n\n "), "empty_body"),
        (b'{"id": "' + key.encode() + b'\xff\xfe", "source": "s"}', "not_utf8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + n.to_bytes(4, "big"), "binary"),
        (_raw(key, "word " * 60_000), "too_large"),
        (
            _raw(
                key, "<html><body><nav>Home</nav><script>x()</script></body></html>", content_type="text/html"
            ),
            "no_text",
        ),
        (_raw(key, "text", content_type="application/pdf"), "unsupported_content_type"),
        (_raw(key, "\n\n".join(f"Paragraph {i} says little." for i in range(60))), "too_many_paragraphs"),
    ]
    value, reason = kinds[n % len(kinds)]
    return key, value, reason
