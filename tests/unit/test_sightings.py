"""First sightings kept out of the learned-boilerplate table: fewer writes, the same learning."""

from __future__ import annotations

import random

from streams.cleaning.boilerplate import LearnedBoilerplate
from streams.cleaning.clean import fingerprint
from streams.cleaning.sightings import FirstSightings

# The same table stand-in, source and footer line as the expiry tests.
from tests.unit.test_state_expiry import DAY, FOOTER, SOURCE, Recording

REFRESH = LearnedBoilerplate.REFRESH
T = 1_764_590_400.0  # 2025-12-01 12:00 UTC


def unique(article: str) -> list[str]:
    # Spelled in letters: fingerprints ignore digits, so "a1" and "a2" would make one paragraph.
    name = "".join(chr(ord("a") + int(c)) if c.isdigit() else c for c in article)
    return [f"Story paragraph {n} of article {name}, seen nowhere else." for n in ("one", "two", "three")]


def test_a_paragraph_seen_once_writes_nothing() -> None:
    table = Recording()
    board = LearnedBoilerplate(table, threshold=3, first=FirstSightings())
    for i in range(20):
        board.observe(SOURCE, f"a{i}", unique(f"a{i}"), time=T + i)
    # The same article again (a new version, same paragraphs) and a paragraph twice in one article.
    board.observe(SOURCE, "a0", unique("a0"), time=T + 30)
    board.observe(SOURCE, "b", [FOOTER, FOOTER], time=T + 31)
    assert table.sets == []


def test_the_second_article_writes_the_value_the_table_alone_would_hold() -> None:
    table = Recording()
    board = LearnedBoilerplate(table, threshold=3, partition=2, first=FirstSightings())
    board.observe(SOURCE, "a", [FOOTER], time=T + 50)
    board.observe(SOURCE, "b", [FOOTER], time=T + 20)  # an older article arrives second
    key = LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))
    # Without the memory: [T+50, 2, "a"] then [max(T+50, T+20), 2, "a", "b"].
    assert table.sets == [key]
    assert table[key] == [T + 50, 2, "a", "b"]


def test_a_line_is_learned_after_the_same_article_as_without_the_memory() -> None:
    # Threshold 3. Articles in order; the footer is in those marked True; c comes back as a new version.
    script = [("a", True), ("b", False), ("c", True), ("c", True), ("d", False), ("e", True), ("f", True)]
    # By hand: distinct articles with the footer before each one are a:0, c:1, c again:2 (c counts once),
    # d:2, e:2, f:3. So the footer is learned (removed) in f only, and e's observation is what teaches it.
    expected = [False, False, False, False, False, False, True]
    table = Recording()
    board = LearnedBoilerplate(table, threshold=3, first=FirstSightings())
    learned = []
    for step, (article, has_footer) in enumerate(script):
        learned.append(board.is_learned(SOURCE, fingerprint(FOOTER)))
        board.observe(SOURCE, article, [FOOTER] if has_footer else unique(article), time=T + step)
    assert learned == expected
    key = LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))
    # Written at c (second article), e (third) and f (the fourth id, threshold + 1 kept); never at a.
    assert table.sets == [key, key, key]
    assert table[key][2:] == ["a", "c", "e", "f"]


def test_a_first_sighting_older_than_the_limit_is_forgotten() -> None:
    memory = FirstSightings()
    table = Recording()
    LearnedBoilerplate(table, 2, first=memory, limit=T - 32 * DAY).observe(SOURCE, "a", [FOOTER], time=T)
    # 32 days on, the caller's limit (watermark - 31 days - REFRESH) is past T: a's sighting is gone and
    # b is a first sighting again, as a's table entry would have been read as absent.
    late = LearnedBoilerplate(table, 2, first=memory, limit=T + 1)
    late.observe(SOURCE, "b", [FOOTER], time=T + 32 * DAY)
    assert table.sets == []
    # At the limit exactly it is kept (the table's test is `older than`, too).
    kept = LearnedBoilerplate(table, 2, first=memory, limit=T + 32 * DAY)
    kept.observe(SOURCE, "c", [FOOTER], time=T + 32 * DAY + 1)
    assert table[LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))] == [T + 32 * DAY + 1, 0, "b", "c"]


def test_a_later_version_refreshes_the_time_of_its_first_sighting_as_the_table_would() -> None:
    memory = FirstSightings()
    table = Recording()
    key = LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))
    LearnedBoilerplate(table, 2, first=memory).observe(SOURCE, "a", [FOOTER], time=T)
    LearnedBoilerplate(table, 2, first=memory).observe(SOURCE, "a", [FOOTER], time=T + 0.5 * DAY)
    assert memory.get(0, key, T) == ("a", T)  # within REFRESH: the time is not rewritten
    LearnedBoilerplate(table, 2, first=memory).observe(SOURCE, "a", [FOOTER], time=T + 2 * DAY)
    assert memory.get(0, key, T) == ("a", T + 2 * DAY)
    assert table.sets == []


def test_generations_older_than_the_limit_are_dropped_whole() -> None:
    memory = FirstSightings(span=10)
    memory.put(0, "k1", "A", 100, limit=0)  # opens generation 1 at limit 0
    memory.put(0, "k2", "B", 105, limit=5)  # 5 < span: same generation
    memory.put(0, "k3", "C", 120, limit=10)  # 10 - 0 >= span: generation 2 opens, 1 (newest 105) stays
    assert (memory.generations(0), memory.keys(0)) == (2, 3)
    memory.put(0, "k4", "D", 130, limit=106)  # 1's newest (105) is behind: dropped; 3 opens
    assert (memory.generations(0), memory.keys(0)) == (2, 2)
    assert memory.get(0, "k1", limit=0) is None
    assert memory.get(0, "k3", limit=106) == ("C", 120)
    assert memory.get(0, "k3", limit=121) is None
    assert memory.get(1, "k4", limit=0) is None  # partitions are apart


def test_the_memory_grows_and_finds_every_key() -> None:
    memory = FirstSightings()
    for i in range(5000):
        memory.put(0, f"key-{i}", f"article-{i // 20}", float(i // 20), limit=0)
    assert memory.keys(0) == 5000
    assert all(
        memory.get(0, f"key-{i}", limit=0) == (f"article-{i // 20}", float(i // 20)) for i in range(5000)
    )
    assert memory.get(0, "key-5000", limit=0) is None


def test_with_and_without_the_memory_agree_on_a_random_stream() -> None:
    # The table alone is the reference: at every step both learn the same lines, and every live entry
    # with two ids or more is equal. Lines are shared with a skewed frequency (a few in most articles,
    # most in one or two); articles come back as versions, times jump by more than REFRESH, some arrive
    # late, and the limit moves so that entries and sightings expire.
    rng = random.Random(19)
    pool = [
        f"Line {chr(ord('a') + n % 26)}{chr(ord('a') + n // 26)} that some articles share."
        for n in range(300)
    ]
    weights = [1 / (n + 1) ** 1.2 for n in range(len(pool))]
    fingerprints = {line: fingerprint(line) for line in pool}
    plain, lean = Recording(), Recording()
    memory = FirstSightings(span=3 * DAY)
    time, learned_at_some_step = T, set()
    for step in range(3000):
        time += rng.choice([60.0, 3600.0, 0.6 * DAY, 1.5 * DAY])
        limit = time - 10 * DAY
        article = f"a{rng.randrange(step + 1)}" if rng.random() < 0.2 else f"a{step}"
        paragraphs = [*rng.choices(pool, weights, k=rng.randint(1, 6)), *unique(f"a{step}")]
        event_time = time - rng.choice([0.0, 0.0, 2 * DAY, 11 * DAY])  # some late, some past the limit
        reference = LearnedBoilerplate(plain, 3, limit=limit)
        candidate = LearnedBoilerplate(lean, 3, limit=limit, first=memory)
        before = {p for p, fp in fingerprints.items() if reference.is_learned(SOURCE, fp)}
        assert {p for p, fp in fingerprints.items() if candidate.is_learned(SOURCE, fp)} == before, step
        learned_at_some_step |= before
        reference.observe(SOURCE, article, paragraphs, time=event_time)
        candidate.observe(SOURCE, article, paragraphs, time=event_time)
    # The stream exercised both outcomes: some lines learned, most never.
    assert 5 < len(learned_at_some_step) < len(pool) / 2
    for line in pool:
        key = LearnedBoilerplate.key(SOURCE, fingerprint(line))
        live = reference._ids(key)
        if len(live[1]) >= 2:
            assert candidate._ids(key) == live
        else:
            assert len(candidate._ids(key)[1]) < 2
    assert len(lean.sets) < len(plain.sets) / 2


def test_after_a_restart_a_line_seen_once_before_is_learned_one_article_later() -> None:
    # Threshold 3; the footer in a, then a restart (the memory is empty again), then in b, c, d, e.
    # Without a restart: learned after c (a, b, c), so removed from d on. After it: a is unknown, b is a
    # first sighting, c writes [b, c], d makes three: removed from e on, one article later, never earlier.
    table = Recording()
    LearnedBoilerplate(table, 3, first=FirstSightings()).observe(SOURCE, "a", [FOOTER], time=T)
    board = LearnedBoilerplate(table, 3, first=FirstSightings())
    learned = []
    for step, article in enumerate(["b", "c", "d", "e"]):
        learned.append(board.is_learned(SOURCE, fingerprint(FOOTER)))
        board.observe(SOURCE, article, [FOOTER], time=T + 1 + step)
    assert learned == [False, False, False, True]
    assert table[LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))][2:] == ["b", "c", "d", "e"]


def test_restarts_never_make_a_line_learned_before_the_table_alone_would() -> None:
    rng = random.Random(7)
    pool = [
        f"Shared line {chr(ord('a') + n % 26)}{chr(ord('a') + n // 26)} of the source." for n in range(120)
    ]
    weights = [1 / (n + 1) for n in range(len(pool))]
    fingerprints = {line: fingerprint(line) for line in pool}
    plain, lean = Recording(), Recording()
    memory, differed = FirstSightings(), 0
    for step in range(1500):
        if step % 100 == 99:
            memory = FirstSightings()  # a restart or a partition taken over by another worker
        reference = LearnedBoilerplate(plain, 4)
        candidate = LearnedBoilerplate(lean, 4, first=memory)
        before = {p for p, fp in fingerprints.items() if reference.is_learned(SOURCE, fp)}
        now = {p for p, fp in fingerprints.items() if candidate.is_learned(SOURCE, fp)}
        assert now <= before, step
        differed += now != before
        paragraphs = rng.choices(pool, weights, k=rng.randint(1, 5))
        reference.observe(SOURCE, f"a{step}", paragraphs, time=T + step)
        candidate.observe(SOURCE, f"a{step}", paragraphs, time=T + step)
    # Restarts did delay some lines, and most were learned all the same.
    assert differed > 0 and len(now) > len(before) / 2 > 5
