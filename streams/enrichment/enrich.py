"""Enrich stage: one parse per clean article feeds entities, quotes and topics, then the fan-out events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from spacy.language import Language

from streams.enrichment.entities import Entity, extract_entities, merge_people, people_named, remember_people
from streams.enrichment.entities.lexicon import is_dictionary_word, is_given_name, is_place, is_surname
from streams.enrichment.iptc import TopicClassifier, TopicScore, assign, keyphrases
from streams.enrichment.nlp import ParsedArticle, article_text, parse
from streams.enrichment.quotes import Quote, extract_quotes_and_speakers
from streams.enrichment.results import Enriched
from streams.events import flow
from streams.events.errors import Reason, Rejected
from streams.events.flow import Outgoing
from streams.events.records import (
    Byline,
    CleanArticle,
    EnrichedArticle,
    EntityEvent,
    Mention,
    PeopleLearned,
    QuoteEvent,
    Speaker,
    TopicEvent,
    event_id,
)
from streams.settings import Settings

# ninjs groups entities by kind; spaCy labels map onto those groups.
_NINJS_GROUP = {"PERSON": "people", "ORG": "organisations", "GPE": "places", "LOC": "places", "FAC": "places"}
# The start of every event id of one enrichment: (article id, version, pipeline version).
_Ids = tuple[str, int, str]
MEDIA_TOPIC_URI = "http://cv.iptc.org/newscodes/mediatopic/"
# RFC 3986's reserved and unreserved punctuation plus "%": what `quote` keeps of a URL already escaped.
_URI_CHARS = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class Enricher:
    """The enrich stage's dependencies, passed in: the spaCy pipeline, the topic model, settings."""

    nlp: Language
    classifier: TopicClassifier
    settings: Settings

    def run(
        self, articles: Sequence[CleanArticle], known_people: Mapping[str, Mapping[str, str]]
    ) -> list[Enriched | Exception]:
        """Enrich a batch with one `nlp.pipe` call; a failing article yields its exception, not the batch's.

        The batch runs in a spaCy memory zone: the strings and lexemes its words added to the vocabulary are
        freed when it ends (else a worker's memory grows with every new word it ever reads). Nothing made
        inside outlives it but plain strings and numbers in the events.
        """
        spoken = [a for a in articles if not skipped_stages(a, self.settings)]
        with self.nlp.memory_zone():
            done = iter(self._run(spoken, known_people) if spoken else [])
        # Articles in a language the NLP does not run on are published without it, in their batch order.
        return [
            self._without_nlp(a, known_people) if skipped_stages(a, self.settings) else next(done)
            for a in articles
        ]

    def warm_up(self) -> None:
        """Run one short article through every stage and drop the result: the word lists, gazetteers and
        country tables the rules read load on first use (0.9 s), which would otherwise fall on the first
        batch a worker takes and on the latency of every article in it. The word lists one article may not
        reach are read here by name."""
        self.run([WARM_UP], {})
        for known in (is_surname, is_given_name, is_place, is_dictionary_word):
            known("Doe")

    def _without_nlp(self, article: CleanArticle, known: Mapping[str, Mapping[str, str]]) -> Enriched:
        """The enriched article alone, with the NLP stages it skipped and why; the source learns no one."""
        [out] = build_events(article, [], [], [], [], self.settings)
        assert out.event is not None
        stated = out.event.derive(skipped=skipped_stages(article, self.settings))
        people = dict(known.get(article.source) or {})
        return Enriched(article, [Outgoing(out.spec, out.key, stated)], people, {})

    def _run(
        self, articles: Sequence[CleanArticle], known_people: Mapping[str, Mapping[str, str]]
    ) -> list[Enriched | Exception]:
        try:
            parsed = parse(self.nlp, articles, batch_size=self.settings.batch_size)
        except Exception:
            # Find the article that breaks the parser: parse one at a time.
            return [self._one(a, known_people) for a in articles]
        # The classifier reads the shared parse's tokens: the text is not tokenised twice.
        scores = self.classifier.classify_docs([p.doc for p in parsed])
        # Articles of one source in this batch learn from each other in order, as if sent one by one.
        known = {source: dict(people) for source, people in known_people.items()}
        results: list[Enriched | Exception] = []
        for p, topic_scores in zip(parsed, scores, strict=True):
            try:
                result = self._enrich(p, topic_scores, known.get(p.article.source) or {})
            except Exception as exc:  # dead-lettered by the caller; the batch goes on
                results.append(exc)
                continue
            known[p.article.source] = result.people
            results.append(result)
        return results

    def _one(self, article: CleanArticle, known: Mapping[str, Mapping[str, str]]) -> Enriched | Exception:
        try:
            length = len(article_text(article)[0])
            if length > self.nlp.max_length:
                # spaCy's own guard (about 1 GB of memory per 100,000 characters for the parser and NER).
                limit = self.nlp.max_length
                return Rejected(
                    Reason.TOO_LARGE,
                    f"the article's text has {length} characters; the NLP model takes {limit}",
                )
            [p] = parse(self.nlp, [article])
            [topic_scores] = self.classifier.classify_docs([p.doc])
            return self._enrich(p, topic_scores, known.get(article.source) or {})
        except Exception as exc:
            return exc

    def _enrich(self, parsed: ParsedArticle, scores: list[TopicScore], known: Mapping[str, str]) -> Enriched:
        s = self.settings
        entities = extract_entities(parsed, known_people=known, max_entities=s.max_entities)
        quotes, speakers = extract_quotes_and_speakers(parsed, entities, max_quotes=s.max_quotes)
        # People the entity stage missed but a quote names as its speaker are entities of the article too.
        ids = {e.entity_id for e in entities}
        entities = [*entities, *(e for e in speakers if e.entity_id not in ids)]
        topics = assign(scores, s.topic_threshold)
        phrases = keyphrases(parsed)
        learned = remember_people(entities, {})
        outgoing = build_events(parsed.article, entities, quotes, topics, phrases, s)
        outgoing += people_learned(parsed.article, people_named(entities), s)
        return Enriched(parsed.article, outgoing, merge_people(known, learned), learned)


# A made-up article naming a person, an organisation, places and a quote, for `Enricher.warm_up`.
WARM_UP = CleanArticle(
    event_id="warm-up",
    article_id="warm-up",
    version=1,
    source="warm-up",
    content_type="text/plain",
    content_hash="",
    headline="Mayor opens bridge in Springfield",
    paragraphs=[
        "SPRINGFIELD, Illinois (Reuters) - Mayor Jane Doe of Springfield opened the new bridge on Monday.",
        '"It took ten years," Doe said. The Federal Highway Administration paid for most of it.',
    ],
    language="en",
)


# Stages that read the text through the English spaCy pipeline and the English topic model.
NLP_STAGES = ("entities", "quotes", "topics", "keyphrases")


def skipped_stages(article: CleanArticle, settings: Settings) -> list[dict[str, str]]:
    """The NLP stages an article's language rules out, each with its reason (none for an NLP language).

    An article whose language could not be told (a short text) goes through the NLP, as it always did.
    """
    languages = settings.nlp_languages
    if article.language is None or article.language in languages:
        return []
    reason = f"language {article.language!r}: the NLP runs on {', '.join(sorted(languages)) or 'none'}"
    return [{"stage": stage, "reason": reason} for stage in NLP_STAGES]


def people_learned(
    article: CleanArticle, named: Mapping[str, Mapping[str, str]], settings: Settings
) -> list[Outgoing]:
    """One event per person the article named in full (`people_named`), keyed by source and person, so the
    compacted topic keeps each person of each source once, however many articles named them."""
    return [
        Outgoing(
            flow.PEOPLE_LEARNED,
            f"{article.source}|{person}",
            PeopleLearned(
                event_id=event_id(
                    article.article_id, article.version, settings.pipeline_version, "people", person
                ),
                source=article.source,
                article_id=article.article_id,
                version=article.version,
                people=dict(entry),
                published_at=article.published_at,
                pipeline_version=settings.pipeline_version,
            ),
        )
        for person, entry in named.items()
    ]


def _speaker(entity: Entity | None) -> Speaker | None:
    return Speaker(entity_id=entity.entity_id, name=entity.name) if entity else None


def build_events(
    article: CleanArticle,
    entities: Sequence[Entity],
    quotes: Sequence[Quote],
    topics: Sequence[TopicScore],
    phrases: Sequence[str],
    settings: Settings,
) -> list[Outgoing]:
    """The enriched article and its entity, quote and topic events, with deterministic ids."""
    ids = (article.article_id, article.version, settings.pipeline_version)
    common: dict[str, Any] = {
        "article_id": article.article_id,
        "version": article.version,
        "source": article.source,
        "published_at": article.published_at,
        "pipeline_version": settings.pipeline_version,
    }
    # Events are named by what they say, not by the version: a correction that still says it keeps the id.
    said = (article.article_id, settings.pipeline_version)
    entity_events = _entity_events(entities, said, common)
    quote_events = _quote_events(quotes, said, common)
    topic_events = _topic_events(topics, said, common)
    enriched = _enriched_article(article, entities, quotes, topics, phrases, ids, common)
    return [
        Outgoing(flow.ENRICHED, article.article_id, enriched),
        *(Outgoing(flow.ENTITIES, ev.entity_id, ev) for ev in entity_events),
        *(Outgoing(flow.QUOTES, article.article_id, ev) for ev in quote_events),
        *(Outgoing(flow.TOPICS, article.article_id, ev) for ev in topic_events),
    ]


def _entity_events(
    entities: Sequence[Entity], ids: tuple[str, str], common: dict[str, Any]
) -> list[EntityEvent]:
    return [
        EntityEvent(
            event_id=event_id(*ids, "entity", e.entity_id),
            entity_id=e.entity_id,
            name=e.name,
            type=e.type,
            mentions=[
                Mention(text=m.text, section=m.section, paragraph=m.paragraph, start=m.start, end=m.end)
                for m in e.mentions
            ],
            salience=round(e.salience, 4),
            roles=list(e.roles),
            **common,
        )
        for e in entities
    ]


def _quote_events(quotes: Sequence[Quote], ids: tuple[str, str], common: dict[str, Any]) -> list[QuoteEvent]:
    # A quote is its words and its speaker; the same words said twice by one speaker are told apart by order.
    said: Counter[tuple[str, str]] = Counter()

    def quote_id(q: Quote) -> str:
        what = (q.text, q.speaker.entity_id if q.speaker else "")
        said[what] += 1
        return event_id(*ids, "quote", *what, said[what])

    return [
        QuoteEvent(
            event_id=quote_id(q),
            text=q.text,
            kind=q.kind,
            section=q.section,
            paragraph=q.paragraph,
            start=q.start,
            end=q.end,
            speaker=_speaker(q.speaker),
            cue=q.cue,
            addressee=_speaker(q.addressee),
            **common,
        )
        for q in quotes
    ]


def _topic_events(
    topics: Sequence[TopicScore], ids: tuple[str, str], common: dict[str, Any]
) -> list[TopicEvent]:
    return [
        TopicEvent(
            event_id=event_id(*ids, "topic", t.code),
            topic=t.code,
            label=t.label,
            score=round(t.score, 4),
            rank=rank,
            **common,
        )
        for rank, t in enumerate(topics, start=1)
    ]


def _enriched_article(
    article: CleanArticle,
    entities: Sequence[Entity],
    quotes: Sequence[Quote],
    topics: Sequence[TopicScore],
    phrases: Sequence[str],
    ids: _Ids,
    common: dict[str, Any],
) -> EnrichedArticle:
    """The ninjs 2.2 article: entities grouped by kind, topics as subjects; what ninjs cannot hold (entity
    types and salience, quotes, key phrases, the project's ids) in the extension's root properties."""
    groups: dict[str, list[dict[str, str]]] = {"people": [], "organisations": [], "places": []}
    for e in entities:
        if e.type in _NINJS_GROUP:
            groups[_NINJS_GROUP[e.type]].append(
                {"uri": entity_uri(e.entity_id), "literal": e.entity_id, "name": e.name, "rel": "mentioned"}
            )
    text = "\n\n".join(article.paragraphs)
    return EnrichedArticle(
        event_id=event_id(*ids, "enriched"),
        article_id=article.article_id,
        source=article.source,
        pipeline_version=common["pipeline_version"],
        uri=article_uri(article),
        type="text",
        version=str(article.version),
        firstcreated=article.published_at,
        versioncreated=article.modified_at or article.published_at,
        language=article.language,
        headlines=[{"role": "main", "value": article.headline}] if article.headline else [],
        by=_by(article.byline) or None,
        bodies=[{"role": "text", "contenttype": "text/plain", "charcount": len(text), "value": text}],
        subjects=[
            {
                # ninjs subjects: the Media Topic's URI, its QCode as the literal, the score as relevance.
                "uri": MEDIA_TOPIC_URI + t.code.removeprefix("medtop:"),
                "literal": t.code,
                "name": t.label,
                "rel": "about",
                "relevance": round(t.score * 100),
            }
            for t in topics
        ],
        entities=[
            {"uri": entity_uri(e.entity_id), "type": e.type, "salience": round(e.salience, 4)}
            for e in entities
            if e.type in _NINJS_GROUP
        ],
        quotes=[
            {
                "text": q.text,
                "speaker": q.speaker.name if q.speaker else None,
                "speaker_uri": entity_uri(q.speaker.entity_id) if q.speaker else None,
                "kind": q.kind,
            }
            for q in quotes
        ],
        keyphrases=list(phrases),
        people=groups["people"],
        organisations=groups["organisations"],
        places=groups["places"],
    )


def article_uri(article: CleanArticle) -> str:
    """ninjs `uri`: the article's URL (escaped where a feed left it raw), else a URN of source and id."""
    if article.url:
        return quote(article.url, safe=_URI_CHARS)
    return f"urn:newsstreams:{quote(article.source, safe='')}:{quote(article.article_id, safe='')}"


def entity_uri(entity_id: str) -> str:
    """A URN for an entity id (`person:sergei-lavrov` → `urn:newsstreams:entity:person:sergei-lavrov`)."""
    return "urn:newsstreams:entity:" + entity_id


def _by(byline: Sequence[Byline]) -> str:
    """ninjs `by` is one natural-language statement: "Jane Doe (Political Editor), John Roe"."""
    return ", ".join(f"{b.name} ({b.role})" if b.role else b.name for b in byline)
