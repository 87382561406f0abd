"""Quotes: direct quotations in a parsed article, each with its speech cue and canonical speaker."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from streams.enrichment.entities import (
    HONORIFICS,
    ROLE_HEADS,
    Entity,
    EntityMention,
    _salience,
    make_entity_id,
)
from streams.enrichment.nlp import ParsedArticle, Segment, text_of


@dataclass(frozen=True)
class Quote:
    """One direct quotation: its words without the outer marks, where it is, who said it and how."""

    text: str
    kind: str  # "full" | "partial"
    section: str
    paragraph: int
    start: int  # offsets of `text` within its segment
    end: int
    doc_start: int  # offsets of `text` within the parsed text
    doc_end: int
    cue: str | None
    speaker: Entity | None
    addressee: Entity | None = None


# Lemmas of verbs that introduce or attribute speech (opinion verbs like "think" are left out: they
# mostly govern scare quotes, not speech).
_CUE_LEMMAS = """
say tell add insist warn accuse describe claim ask state note explain write argue declare announce reply
respond answer continue complain call suggest admit acknowledge recall predict promise vow pledge urge
criticise criticize deny confirm report observe tweet post quip joke remark conclude agree concede stress
emphasise emphasize point assert contend maintain dub brand label praise condemn decry lament blast slam
mock charge allege boast scoff shout yell scream chant whisper mutter cry exclaim proclaim recount testify
thunder fume retort counter interject pronounce reiterate repeat wonder query demand plead beg caution
advise recommend propose hint concur mention disclose reveal inform assure reassure crow gush rail muse
sigh laugh grumble tout hail welcome threaten attack rip lash dismiss sneer characterize characterise
term quote read begin summarize summarise put cite
"""
CUES = frozenset(_CUE_LEMMAS.split())
# Cue verbs that name whom the speaker addressed as their object ("told Mr Johnson").
ADDRESS_CUES = frozenset({"tell", "ask", "assure", "reassure", "warn", "inform", "remind", "urge", "beg"})
PERSONAL = frozenset({"he", "him", "she", "her"})
COLLECTIVE = frozenset({"they", "them", "it", "we"})
FEMALE_TITLES = frozenset({"ms", "ms.", "mrs", "mrs.", "miss", "lady", "dame", "madam"})
MALE_TITLES = frozenset({"mr", "mr.", "sir", "lord"})
SUBJECTS = frozenset({"nsubj", "nsubjpass"})
# Clause links through which a participle or conjoined verb shares its head's subject.
SHARED_SUBJECT = frozenset({"conj", "xcomp", "advcl", "ccomp", "pcomp", "acl", "relcl", "prep", "pobj"})
SPEAKER_TYPES = {"PERSON": 0, "ORG": 1, "NORP": 2, "GPE": 2, "FAC": 3, "PRODUCT": 3}


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Calendar words: alone they name no one ("May said" is rare, "Theresa May said" is a name).
_CALENDAR = _wordset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow"""
)
# Nouns of a message that speaks for whoever issued it ("issued a statement saying").
_MESSAGES = _wordset(
    "statement message letter post tweet video note email e-mail release memo caption sign banner placard ad"
)
# Nouns for the people or channels that speak on someone's behalf ("Ryan's office said"): the possessor.
_ON_BEHALF = _wordset("office campaign camp team staff spokesman spokeswoman spokesperson account website")
# Capitalised words that never name a person: collective or generic subjects.
_NOT_PERSON = _wordset(
    """police officials official authorities aides aide sources source critics supporters voters
    experts analysts residents witnesses democrats republicans people everyone someone nobody
    god lord mom mum dad father mother"""
)
# Words after a leading apostrophe that make it an elision, not an opening quote ('em, 'til).
ELISIONS = frozenset({"em", "til", "tis", "twas", "cause", "bout", "n", "s", "round", "nuff", "ol", "er"})

_MARKS = re.compile(r"''|``|[\"'“”‘’„«»]")
_OPEN_CONTEXT = frozenset("([{—–-/\u2014\u2013\"'“”‘’„«»…")
_CLOSE_CONTEXT = frozenset(".,;:!?)]}—–-/\u2014\u2013\"'“”‘’„«»…*")
_DOUBLE = frozenset({'"', "''", "``", "“", "”", "„", "«", "»"})
_WORD = re.compile(r"\w+")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
_BYLINE_AFTER = re.compile(r"\s+by\s+(?:the\s+)?[A-Z]")
# Dependencies a misparsed subject gets after an inverted speech verb.
_INVERTED = frozenset({"advmod", "dobj", "attr", "npadvmod", "appos", "dep", "oprd", "nmod"})
_QUOTE_CHARS = "\"'“”‘’„«»"
_DASHES = frozenset({"―", "—", "–", "-", "--", "–-"})
# Links that stay inside a noun phrase: "Joel Pollak of Breitbart", "a spokeswoman, Anna White".
_NOUN_PHRASE = frozenset({"compound", "flat", "appos", "prep", "pobj", "nmod", "npadvmod"})
# Links inside an adverbial phrase after a verb ("during the debate last week").
_ADJUNCT = frozenset({"prep", "pobj", "npadvmod", "advmod", "amod", "det", "compound", "nummod", "poss"})
_MARKUP = re.compile(r"</?[A-Za-z][^<>\n]*>")
# Short words a title in title case leaves in lower case ("Face the Nation", "Empire of the Fund").
_SMALL_WORDS = "a an the of in on at to for and or but nor with by from as vs"
_TITLE_SMALL = frozenset(_SMALL_WORDS.split())
# A paragraph that opens with a double quote mark continues an unclosed quote of the paragraph before.
_OPENS_WITH_QUOTE = re.compile(r"\s*(?:''|``|[\"“„«])")


@dataclass
class _Span:
    """A quotation found by its marks: [start, end) is the text, [outer_start, outer_end) with marks."""

    segment: Segment
    start: int
    end: int
    outer_start: int
    outer_end: int
    continues: bool = False  # runs on into the next paragraph
    continued: bool = False  # continues one from the paragraph before
    tokens: tuple[int, int] = (0, 0)
    group: int = 0
    cue: Token | None = None
    speaker: Entity | None = None
    addressee: Entity | None = None


def _flanking(text: str, i: int, j: int) -> tuple[bool, bool]:
    """Whether the mark at [i, j) can open (left-flanking) and close (right-flanking) a quotation."""
    prev = text[i - 1] if i > 0 else " "
    nxt = text[j] if j < len(text) else " "
    left = (prev.isspace() or prev in _OPEN_CONTEXT) and not nxt.isspace()
    right = not prev.isspace() and (nxt.isspace() or nxt in _CLOSE_CONTEXT)
    return left, right


def _is_elision(text: str, j: int) -> bool:
    word = _WORD.match(text, j)
    return word is None or word.group().lower() in ELISIONS or word.group()[0].isdigit()


def _scan(text: str, base: int, seg: Segment, continued: bool) -> tuple[list[_Span], list[_Span]]:
    """Closed quotations of one paragraph, and the still-open ones at its end (outermost first)."""
    # Quote marks inside markup (<tweet author="...">) delimit attribute values, not speech.
    text = _MARKUP.sub(lambda m: " " * len(m.group()), text)
    stack: list[tuple[str, int, int]] = []  # (family, mark start, mark end)
    spans: list[_Span] = []
    seen_double = False
    for m in _MARKS.finditer(text):
        mark, i, j = m.group(), m.start(), m.end()
        left, right = _flanking(text, i, j)
        family = "d" if mark in _DOUBLE else "s"
        has_open = any(f == family for f, _, _ in stack)
        if family == "d":
            if mark in ("“", "„", "«", "``"):
                role = "close" if right and not left and has_open else "open"
            elif mark in ("”", "»"):
                role = "open" if left and not right and not has_open else "close"
            elif left and not right:
                role = "open"
            elif right and not left:
                role = "close"
            else:
                role = "close" if has_open else "open"
        else:
            if left and not right and not _is_elision(text, j):
                role = "open"
            elif right and not left and has_open:
                role = "close"
            else:
                continue  # an apostrophe: it's, Johnson's, '90s, rock 'n' roll
        if role == "open":
            stack.append((family, i, j))
            seen_double = seen_double or family == "d"
            continue
        if not has_open:
            # A closing mark with nothing open: the paragraph carries on a quotation from the one before.
            if family == "d" and continued and not seen_double and not spans:
                spans.append(_Span(seg, base, base + i, base, base + j, continued=True))
            seen_double = seen_double or family == "d"
            continue
        while stack:
            fam, oi, oj = stack.pop()
            if fam == family:
                spans.append(_Span(seg, base + oj, base + i, base + oi, base + j))
                break
    unclosed = [
        _Span(seg, base + oj, base + len(text), base + oi, base + len(text))
        for fam, oi, oj in stack
        if fam == "d"
    ]
    return spans, unclosed


def _outermost(spans: list[_Span]) -> list[_Span]:
    """Drop quotations nested in another one: the inner quote is part of the outer quote's words."""
    spans.sort(key=lambda s: (s.outer_start, -s.outer_end))
    kept: list[_Span] = []
    for s in spans:
        if kept and s.outer_start < kept[-1].outer_end:
            continue
        kept.append(s)
    return kept


def find_spans(parsed: ParsedArticle) -> list[_Span]:
    """Every quotation of the article by its marks, in text order, multi-paragraph ones linked."""
    text = text_of(parsed.doc)
    result: list[_Span] = []
    pending: _Span | None = None
    group = 0
    segments = parsed.segments
    for n, seg in enumerate(segments):
        seg_text = text[seg.start : seg.end]
        continued = pending is not None and pending.segment.section == seg.section
        closed, unclosed = _scan(seg_text, seg.start, seg, continued)
        spans = list(closed)
        opener = unclosed[0] if unclosed else None
        nxt = segments[n + 1] if n + 1 < len(segments) and segments[n + 1].section == seg.section else None
        if opener is not None and nxt is not None and _OPENS_WITH_QUOTE.match(text, nxt.start):
            opener.continues = True
            spans.append(opener)
        elif (
            opener is not None
            and _words(text[opener.start : opener.end]) >= 4
            and seg_text.rstrip()[-1:] in ".!?"
        ):
            # An opening mark never closed, yet a sentence follows it: the closing mark was left out.
            spans.append(opener)
        spans = _outermost(spans)
        if continued and spans and _OPENS_WITH_QUOTE.match(seg_text):
            spans[0].continued = True
        for s in spans:
            if not (s.continued and result and result[-1].continues):
                group += 1
            s.group = group
            result.append(s)
        pending = spans[-1] if spans and spans[-1].continues else None
    return [s for s in result if re.search(r"\w", text[s.start : s.end])]


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def quote_kind(text: str) -> str:
    """A quote is "full" when it opens with a capital and reads as a sentence, else "partial"."""
    first = re.search(r"[^\W\d_]", text)
    if first is None or not first.group().isupper():
        return "partial"
    if _words(text) >= 4 or text.rstrip()[-1:] in ".!?":
        return "full"
    return "partial"


class _Resolver:
    """Maps a speaker token to a canonical entity: names, roles, and pronouns by their antecedents."""

    def __init__(self, parsed: ParsedArticle, entities: Sequence[Entity], quoted: list[bool]):
        self.doc: Doc = parsed.doc
        self.parsed = parsed
        self.entities = [e for e in entities if e.type in SPEAKER_TYPES]
        self.quoted = quoted
        # Character -> entity for every mention, so a token finds its entity in constant time.
        self.by_char: dict[int, Entity] = {}
        for e in self.entities:
            for m in e.mentions:
                for c in range(m.doc_start, m.doc_end):
                    current = self.by_char.get(c)
                    if current is None or SPEAKER_TYPES[e.type] < SPEAKER_TYPES[current.type]:
                        self.by_char[c] = e
        self.gender = {id(e): self._gender(e) for e in self.entities}
        self.position = {seg: n for n, seg in enumerate(parsed.segments)}
        # Name words that point at exactly one person of the article.
        owners: dict[str, set[str]] = {}
        for e in self.entities:
            if e.type == "PERSON":
                for w in _WORD.findall(e.name):
                    if w[0].isupper():
                        owners.setdefault(w, set()).add(e.entity_id)
        self.by_name = {
            w: e
            for e in self.entities
            if e.type == "PERSON"
            for w in _WORD.findall(e.name)
            if owners.get(w) == {e.entity_id}
        }
        self.references = self._references()
        self.ids = {e.entity_id: e for e in entities}
        # People by the last word of their name, for a name the entity stage missed at the speaker; and
        # full names spaCy labelled an organisation ("Sean Hannity" ORG), so "Hannity" finds them too.
        self.surnames: dict[str, list[Entity]] = {}
        for e in self.entities:
            if e.type == "PERSON" or (e.type == "ORG" and len(e.name.split()) in (2, 3)):
                self.surnames.setdefault(e.name.split()[-1], []).append(e)
        # People named only at a speech cue, with the spans naming them: new entities of the article.
        self.added: dict[str, list[EntityMention]] = {}
        self._caps: set[str] | None = None
        self._lower: set[str] = set()

    def named(self, token: Token) -> Entity | None:
        """The person a proper name at a cue names when the entity stage missed it ("Reid: ...",
        "Trump tagged a noun"): the article's person of that surname, else a new person entity."""
        span = _name_span(token)
        if span is None or any(self.quoted[i] for i in range(*span)):
            return None
        if token.pos_ != "PROPN" and not self._proper(token):
            return None  # a capitalised common noun ("Research suggests"), not a name the tagger missed
        lo, hi = span
        words = [t.text for t in self.doc[lo:hi]]
        name = " ".join(words)
        same = self.surnames.get(words[-1], [])
        if len(same) > 1:
            same = [e for e in same if e.type == "PERSON"] or same
        if len(same) > 1:
            same = [e for e in same if e.name == name]
        if len(same) == 1:
            found = same[0]
        elif same:
            return None
        elif any(t.ent_type_ not in ("", "PERSON", "WORK_OF_ART") for t in self.doc[lo:hi]) or (
            hi - lo == 1 and token.lower_ in _CALENDAR
        ):
            return None  # spaCy calls it a place, a date or a work: not a person it missed
        else:
            found = self.ids.get(make_entity_id("PERSON", name)) or Entity(
                make_entity_id("PERSON", name), name, "PERSON", ()
            )
            if found.type not in SPEAKER_TYPES:
                return None
            if found.entity_id not in self.ids:
                self.ids[found.entity_id] = found
                self.entities.append(found)
                self.surnames.setdefault(words[-1], []).append(found)
                self.added[found.entity_id] = []
                self.gender[id(found)] = _title_gender(self.doc, lo)
        if found.entity_id in self.added:
            self._add_mention(found, lo, hi)
        return found

    def beside(self, cue: Token) -> Entity | None:
        """For a cue the parse gives no subject ("“...,” Tulsa police Chief Chuck Jordan said", "said
        retired neurosurgeon Ben Carson, asked ..."): the person named in the words
        right before it, back to the quote, or right after it, up to a comma. Organisations and places
        there are mostly where or to whom it was said ("told Fox News"), never taken."""
        doc = self.doc
        seg, _ = self.parsed.locate(cue.idx)

        def side(indices: range, comma_stops: bool) -> list[Entity]:
            found: list[Entity] = []
            for i in indices:
                t = doc[i]
                if (
                    self.quoted[i]
                    or t.is_quote
                    or t.is_space
                    or not seg.start <= t.idx < seg.end
                    or t.text in ".!?;:"
                    or (comma_stops and t.text == ",")
                    or (t.pos_ in ("VERB", "AUX") and not t.ent_type_ and t.dep_ not in ("amod", "compound"))
                ):
                    break
                e = self.entity_at(t)
                if e is not None and e.type == "PERSON" and e not in found:
                    found.append(e)
            return found

        near = side(range(cue.i - 1, max(-1, cue.i - 13), -1), False) + side(
            range(cue.i + 1, min(len(doc), cue.i + 9)), True
        )
        return near[0] if near else None

    def surname_before(self, cue: Token) -> Entity | None:
        """ "Will wrote", "Early described it as": a person's name the tagger read as a word ("will",
        "early") right before a cue that has no subject."""
        if cue.i == 0:
            return None
        t = self.doc[cue.i - 1]
        if self.quoted[t.i] or not t.text[:1].isupper() or t.dep_ in SUBJECTS:
            return None
        people = [e for e in self.surnames.get(t.text, []) if e.type == "PERSON"]
        return self.by_name.get(t.text) or (people[0] if len(people) == 1 else None)

    def after_quote(self, span: _Span, b: int, cue: Token) -> Entity | None:
        """ "“...,” Texas delegate Bill Eastland, wearing a hat, said": the person named right after the
        closing mark, when the cue follows in the same sentence."""
        doc = self.doc
        j = _after(doc, span, b)
        while j < len(doc) and doc[j].text == ",":
            j += 1
        if not j < cue.i or cue.i - j > 30 or sentence_of(doc, j).start != sentence_of(doc, cue.i).start:
            return None
        for t in doc[j : min(cue.i, j + 5)]:
            if self.quoted[t.i] or t.text in (",", "(") or t.pos_ in ("VERB", "AUX"):
                break
            e = self.entity_at(t)
            if e is not None and e.type == "PERSON":
                return e
        return None

    def previous_subject(self, cue: Token) -> Entity | None:
        """ "Adding, “...”": a participle opening its sentence continues the speaker of the sentence before."""
        doc = self.doc
        sent = sentence_of(doc, cue.i)
        if cue.tag_ != "VBG" or cue.i != sent.start or sent.start == 0:
            return None
        before = sentence_of(doc, sent.start - 1)
        if doc[before.start].idx < self.parsed.locate(cue.idx)[0].start:
            return None  # another paragraph
        subjects = [
            t for t in before if t.dep_ in SUBJECTS and t.head.dep_ == "ROOT" and not self.quoted[t.i]
        ]
        return self.resolve(subjects[0], before=subjects[0].i) if subjects else None

    def _proper(self, token: Token) -> bool:
        """Whether the article writes this word capitalised inside sentences and never in lower case."""
        if self._caps is None:
            doc = self.doc
            self._lower = {t.lower_ for t in doc if t.is_lower}
            self._caps = {
                t.text
                for t in doc[1:]
                if t.text[:1].isupper()
                and not t.is_sent_start
                and not (doc[t.i - 1].is_punct or doc[t.i - 1].is_space)
            }
        return token.text in self._caps and token.lower_ not in self._lower

    def _add_mention(self, entity: Entity, lo: int, hi: int) -> None:
        start, end = self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1].text)
        mentions = self.added[entity.entity_id]
        if any(m.doc_start == start for m in mentions):
            return
        title = ""
        if lo > 0 and self.doc[lo - 1].lower_.rstrip(".") in HONORIFICS:
            title, start = self.doc[lo - 1].text.rstrip("."), self.doc[lo - 1].idx
        seg, offset = self.parsed.locate(start)
        text = text_of(self.doc)[start:end]
        mentions.append(
            EntityMention(text, seg.section, seg.index, offset, offset + len(text), start, end, title)
        )
        for c in range(start, end):
            self.by_char.setdefault(c, entity)
        self.remember(self.doc[hi - 1], entity)

    def added_entities(self, entities: Sequence[Entity]) -> list[Entity]:
        """The people named only at a cue, as entities with their mentions and salience."""
        most = max((len(e.mentions) for e in entities), default=1)
        length = len(text_of(self.doc))
        result = []
        for entity_id, mentions in self.added.items():
            if not mentions:
                continue
            e = self.ids[entity_id]
            ordered = tuple(sorted(mentions, key=lambda m: m.doc_start))
            result.append(
                Entity(entity_id, e.name, e.type, ordered, salience=_salience(ordered, length, max(most, 1)))
            )
        return result

    def _gender(self, e: Entity) -> str | None:
        if e.type != "PERSON":
            return None
        text = text_of(self.doc)
        for m in e.mentions:
            before = text[max(0, m.doc_start - 6) : m.doc_start].lower().split()
            title = before[-1] if before else ""
            if title in MALE_TITLES:
                return "m"
            if title in FEMALE_TITLES:
                return "f"
        return None

    def _references(self) -> list[tuple[int, Entity, bool]]:
        """(token index, entity, is subject) of every mention and role mention outside quotations."""
        refs: dict[int, tuple[int, Entity, bool]] = {}
        for e in self.entities:
            for m in e.mentions:
                span = self.doc.char_span(m.doc_start, m.doc_end, alignment_mode="expand")
                if span is not None and not self.quoted[span.root.i]:
                    refs[span.root.i] = (span.root.i, e, span.root.dep_ in SUBJECTS)
        for e in self.entities:
            for role in e.roles:
                for hit in re.finditer(rf"\b{re.escape(role)}\b", text_of(self.doc), flags=re.IGNORECASE):
                    span = self.doc.char_span(hit.start(), hit.end(), alignment_mode="expand")
                    if span is not None and not self.quoted[span.root.i] and span.root.i not in refs:
                        refs[span.root.i] = (span.root.i, e, span.root.dep_ in SUBJECTS)
        return sorted(refs.values(), key=lambda r: r[0])

    def remember(self, token: Token, entity: Entity) -> None:
        """A pronoun resolved to `entity` becomes a subject mention for the pronouns after it."""
        bisect.insort(self.references, (token.i, entity, True), key=lambda r: r[0])

    def entity_at(self, token: Token) -> Entity | None:
        for c in range(token.idx, token.idx + len(token.text)):
            e = self.by_char.get(c)
            if e is not None:
                return e
        return None

    def resolve(self, token: Token, *, before: int | None = None) -> Entity | None:
        """The entity a speaker (or addressee) token names, or None when it names no entity."""
        if self.quoted[token.i]:
            return None  # a name inside the quote is what was said, not who said it
        lower = token.lower_
        if token.pos_ == "PRON" or lower in PERSONAL or lower in COLLECTIVE:
            return self.antecedent(token, before if before is not None else token.i)
        found = self.entity_at(token)
        if found is not None:
            return found
        for child in token.children:
            if child.dep_ in ("compound", "flat", "appos", "nmod"):
                found = self.entity_at(child) or (
                    self.resolve(child) if child.dep_ == "appos" and child.pos_ != "PRON" else None
                )
                if found is not None:
                    return found
        role = self.role_entity(token) or self.organisation(token) or self.principal(token)
        if role is not None:
            return role
        if token.text[:1].isupper():  # the tagger calls a sentence-initial surname a noun ("Waters tweeted")
            # A surname the entity stage missed here but named elsewhere ("Fallon said" after "Brian Fallon").
            named = self.by_name.get(token.text)
            if named is not None:
                return named
        # "Joel Pollak of Breitbart": a person named anywhere in the subject phrase.
        # Adjectives ("the Russian foreign minister") name a place or people, not the speaker.
        # Clauses hanging off the subject ("Others, reacting to the Van Dyke shooting,") name other people.
        # "an academic named Eric Kingson", "a man calling himself Paul Paul": the name given.
        for c in token.children:
            if c.dep_ == "acl" and c.lemma_ in ("name", "call"):
                for o in c.children:
                    if o.dep_ in ("oprd", "attr") and not self.quoted[o.i]:
                        found = self.entity_at(o) or self.named(o)
                        if found is not None:
                            return found
        todo = [c for c in token.children if c.dep_ in _NOUN_PHRASE]
        while todo:
            t = todo.pop(0)
            e = self.entity_at(t)
            if e is not None and e.type in ("PERSON", "ORG"):
                return e
            todo.extend(c for c in t.children if c.dep_ in _NOUN_PHRASE)
        return None

    def role_entity(self, token: Token) -> Entity | None:
        words = [
            t.lower_
            for t in self.doc[token.left_edge.i : token.i + 1]
            if t.dep_ not in ("det", "poss", "case", "punct") and t.pos_ != "DET"
        ]
        phrase = " ".join(words)
        if not phrase or phrase in {"spokesman", "spokeswoman", "official", "minister"}:
            return None
        matches = [
            e
            for e in self.entities
            if any(r == phrase or r.endswith(" " + phrase) or phrase.endswith(" " + r) for r in e.roles)
        ]
        if len(matches) == 1:
            return matches[0]
        return None

    def principal(self, token: Token) -> Entity | None:
        """ "Ryan's office said", "his campaign said": the person or body they speak for."""
        if token.pos_ != "NOUN" or token.lemma_.lower() not in _ON_BEHALF:
            return None
        owner = next((c for c in token.children if c.dep_ == "poss"), None)
        if owner is None:
            return None
        found = self.resolve(owner, before=owner.i)
        return found if found is not None and found.type in ("PERSON", "ORG") else None

    def organisation(self, token: Token) -> Entity | None:
        """ "The ministry said": the one organisation of the article whose name has that noun."""
        if token.pos_ != "NOUN" or token.tag_ != "NN" or not any(c.lower_ == "the" for c in token.children):
            return None
        word = token.lower_
        matches = [e for e in self.entities if e.type == "ORG" and word in e.name.lower().split()]
        return matches[0] if len(matches) == 1 else None

    def antecedent(self, pronoun: Token, before: int) -> Entity | None:
        """Most recent compatible subject (else mention) in this or the two previous paragraphs."""
        lower = pronoun.lower_
        seg, _ = self.parsed.locate(pronoun.idx)
        window_start = self.parsed.segments[max(0, self.position[seg] - 2)].start
        if lower in PERSONAL:
            want = "f" if lower in ("she", "her") else "m"
            types = {"PERSON"}
        elif lower in ("it", "they", "them", "we"):
            want = ""
            types = {"ORG", "NORP", "GPE"} if lower != "it" else {"ORG", "GPE"}
        else:
            return None
        # Walk back from the pronoun through the window only, so the cost stays local.
        nearest: Entity | None = None
        k = bisect.bisect_left(self.references, before, key=lambda r: r[0]) - 1
        while k >= 0 and self.doc[self.references[k][0]].idx >= window_start:
            _, e, subject = self.references[k]
            k -= 1
            if e.type not in types or self.gender.get(id(e)) not in (None, want, ""):
                continue
            # A subject wins over an object nearer the pronoun ("he did trust Mr X, but he insisted").
            if subject:
                return e
            nearest = nearest or e
        return nearest


def _title_gender(doc: Doc, lo: int) -> str | None:
    title = doc[lo - 1].lower_ if lo > 0 else ""
    return "m" if title in MALE_TITLES else "f" if title in FEMALE_TITLES else None


def _is_name_word(t: Token) -> bool:
    """A capitalised word that can be part of a person's name: no title, role, pronoun or plural."""
    w = t.text
    return (
        w[:1].isupper()
        and not (len(w) > 1 and w.isupper())
        and _NAME_WORD.fullmatch(w) is not None
        and t.pos_ in ("PROPN", "NOUN", "VERB", "ADJ")
        and t.tag_ not in ("NNS", "NNPS")
        and t.lower_.rstrip(".") not in HONORIFICS | ROLE_HEADS | _NOT_PERSON | PERSONAL | COLLECTIVE
    )


def _name_span(token: Token) -> tuple[int, int] | None:
    """The token range of the proper name a speaker token heads ("Theresa May", "Reid"), or None."""
    doc = token.doc
    # A subject the tagger called a verb is still a name ("Trump shot back").
    if not _is_name_word(token) or (token.pos_ not in ("PROPN", "NOUN") and token.dep_ not in SUBJECTS):
        return None
    if any(c.dep_ == "det" or (c.dep_ == "poss" and c.pos_ == "PRON") for c in token.children):
        return None  # "the Journal", "his Excellency"
    lo = hi = token.i
    while lo > 0 and _is_name_word(doc[lo - 1]) and lo <= doc[lo - 1].head.i <= token.i:
        lo -= 1
    while hi + 1 < len(doc) and _is_name_word(doc[hi + 1]) and doc[hi + 1].dep_ in ("flat", "compound"):
        if not lo <= doc[hi + 1].head.i <= hi + 1:
            break
        hi += 1
    return lo, hi + 1


def _cue_text(verb: Token) -> str:
    if verb.lower_ == "according":
        return "according to"
    parts = [verb.text.lstrip(_QUOTE_CHARS) or verb.text]
    particles = [c.text for c in verb.children if c.dep_ == "prt"]
    parts.extend(particles)
    if verb.lemma_ in ("describe", "characterize", "characterise", "brand", "dub", "label", "see") and any(
        c.dep_ == "prep" and c.lower_ == "as" for c in verb.children
    ):
        return f"{' '.join(parts)} ... as"
    return " ".join(parts)


def _is_cue(token: Token) -> bool:
    if token.lower_ == "according" and any(c.lower_ == "to" for c in token.children):
        return True
    return token.lemma_.lower() in CUES and token.pos_ in ("VERB", "AUX") and token.lemma_ != "be"


def _speaker_token(verb: Token, quoted: Sequence[bool] | None = None) -> Token | None:
    """The subject of a cue verb, climbing through conjoined and participle clauses ("insisting")."""
    doc = verb.doc
    inside = quoted if quoted is not None else [False] * len(doc)
    if verb.lower_ == "according":
        for c in verb.children:
            if c.lower_ == "to":
                for p in c.children:
                    if p.dep_ == "pobj":
                        return _author(p) or p
        return None
    # "was asked by host John Dickerson": the agent of a passive cue is the speaker.
    agent = [c for c in verb.children if c.dep_ == "agent"]
    if agent and any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children):
        for p in agent[0].children:
            if p.dep_ == "pobj":
                return p
    has_subject = any(c.dep_ in SUBJECTS for c in verb.children)
    if (
        verb.lemma_ == "quote"
        and verb.dep_ == "conj"
        and _is_cue(verb.head)
        and any(c.dep_ in SUBJECTS and c.lower_ == "i" for c in verb.children)
    ):
        return _speaker_token(verb.head, quoted)  # "Trump said, and I quote, ...": the writer quotes him
    # '"...," said Skelly': the tagger sometimes misses the subject of an inverted attribution.
    before = verb.i - 1
    while before >= 0 and (doc[before].is_space or doc[before].text == ","):
        before -= 1
    if before >= 0 and doc[before].is_quote and not has_subject:
        inverted = [
            c
            for c in verb.children
            if c.i > verb.i
            and c.dep_ in _INVERTED
            and (c.pos_ in ("PROPN", "NOUN") or c.text[:1].isupper())
            and not inside[c.i]
            and not any(t.is_quote for t in doc[verb.i + 1 : c.i])  # a word of the next quotation
        ]
        # "mused Blaze co-host Stu Burguiere": the name in the phrase, not its first noun.
        named = [c for c in inverted if c.ent_type_ in ("PERSON", "ORG") or c.pos_ == "PROPN"]
        if named or inverted:
            return (named or inverted)[0]
    # '"...," Trump barked': a name between the quote and the verb, misparsed as a compound.
    names = verb.i
    while names > 0 and doc[names - 1].pos_ == "PROPN":
        names -= 1
    if 0 < names < verb.i and doc[names - 1].is_quote and not has_subject:
        return doc[verb.i - 1]
    if not has_subject and verb.tag_ == "VBG" and verb.i > 0:
        # "footage of Hillary Clinton asking, ...": the person the participle follows is the one speaking.
        person = doc[verb.i - 1]
        if (
            person.ent_type_ == "PERSON"
            and person.dep_ == "pobj"
            and person.head.lower_ == "of"
            and not inside[person.i]
        ):
            return person
    if not has_subject:
        # "As Akhil Amar put it, ...": the parser makes the speaker the object of "as".
        for c in verb.children:
            if c.lower_ == "as" and c.dep_ in ("mark", "prep") and c.i < verb.i:
                objects = [p for p in c.children if p.dep_ == "pobj"]
                if objects:
                    return objects[0]
        if verb.dep_ in ("conj", "advcl"):
            # "Pence said it takes time but added, ...": a speech verb hung on the reported clause of
            # another cue continues that cue's speech, so that cue's subject is the speaker.
            outer = _reporting_cue(verb)
            if outer is not None:
                return _speaker_token(outer, quoted)
    current = verb
    for _ in range(4):
        # "Isaiah 45:1 reads": a number beside the name is no second speaker.
        subj = [c for c in current.children if c.dep_ in SUBJECTS and c.pos_ != "NUM"]
        if subj:
            # A misparsed participle phrase ("Facing Mr Johnson ..., Mr Lavrov said") yields two subjects:
            # the one next to the verb is the speaker.
            # Climbing, the subject nearest the cue itself ("..., says Myra Gutin" hung on a later "says").
            nearest = min(subj, key=lambda c: abs(c.i - verb.i))
            if nearest.tag_ in ("WDT", "WP") and current.dep_ in ("relcl", "conj"):
                # "a video that said", "Eric Kingson, who worked the crowd, praising": what the relative
                # pronoun stands for; a message speaks for whoever issued it.
                noun = _relative_antecedent(current)
                if noun is None:
                    return nearest
                if noun.lemma_.lower() in _MESSAGES and noun.dep_ == "dobj" and noun.head.i != noun.i:
                    current = noun.head
                    continue
                return noun
            return nearest
        # "Trump issued a statement saying ...": whoever issued the message said it. "The cleric is shown
        # lecturing": a participle the parser made the object of a passive verb shares its subject.
        message = current.dep_ == "dobj" and (
            current.lemma_ in _MESSAGES
            or (current.tag_ == "VBG" and any(c.dep_ == "auxpass" for c in current.head.children))
        )
        if (current.dep_ not in SHARED_SUBJECT and not message) or current.head.i == current.i:
            if current.head.i != current.i and inside[current.head.i] and current.dep_ in SUBJECTS:
                # "..., writing “Feels great to ...”": the parser made the cue the quotation's subject.
                return _subject_before(verb, inside)
            if (
                current.dep_ in ("dep", "parataxis")
                and current.head.i < current.i
                and not inside[current.head.i]
            ):
                # "Clinton, exasperated, famously responded:": a loose attachment still shares the subject.
                current = current.head
                continue
            return None
        if inside[current.head.i]:
            # The parser hung the attribution on the quotation's words ("..., telling the crowd, “Some
            # people get ...”"): the subject nearest before the cue, outside the quotation, said it.
            return _subject_before(verb, inside)
        current = current.head
    return None


def _author(noun: Token) -> Token | None:
    """Who wrote a document: "a court document filed by state attorney Dave Aronberg" -> Aronberg."""
    if noun.pos_ != "NOUN":
        return None
    heads = [noun] + [c for c in noun.children if c.dep_ == "acl"]
    for h in heads:
        for c in h.children:
            if c.dep_ in ("agent", "prep") and c.lower_ == "by":
                objects = [p for p in c.children if p.dep_ == "pobj"]
                if objects:
                    return objects[0]
    return None


def _reporting_cue(verb: Token) -> Token | None:
    """The cue whose reported clause a conjoined or participle cue hangs on ("X said it was early but
    added", "X told Newsmax that Romney “had ...”, adding"), if any, before it."""
    node = verb.head
    for _ in range(4):
        if node.dep_ == "ccomp" and _is_cue(node.head) and node.head.i < verb.i:
            return node.head
        if node.dep_ not in ("xcomp", "conj", "advcl", "ccomp") or node.head.i == node.i:
            return None
        node = node.head
    return None


def _relative_antecedent(verb: Token) -> Token | None:
    """The noun a relative clause describes ("a video that said" -> video), through conjoined clauses."""
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    return verb.head if verb.dep_ == "relcl" else None


def _subject_before(verb: Token, quoted: Sequence[bool]) -> Token | None:
    """The nearest subject before `verb` in its sentence whose clause lies outside quotations."""
    sent = sentence_of(verb.doc, verb.i)
    for t in reversed(sent[: verb.i - sent.start]):
        if (
            t.dep_ in SUBJECTS
            and not quoted[t.i]
            and not quoted[t.head.i]
            and t.head.i < verb.i
            and t.head.dep_ not in ("relcl", "acl")  # "the guru who founded ..." describes a noun
        ):
            return t
    return None


def _addressee_token(verb: Token) -> Token | None:
    for c in verb.children:
        if verb.lemma_ in ADDRESS_CUES and c.dep_ in ("dobj", "dative", "iobj"):
            return c
        if (
            c.dep_ in ("prep", "dative")
            and c.lower_ == "to"
            and verb.lemma_ in ("say", "speak", "write", "explain")
        ):
            for p in c.children:
                if p.dep_ == "pobj":
                    return p
    return None


def _ancestor_cue(doc: Doc, span: _Span, a: int, b: int, quoted: list[bool]) -> Token | None:
    """A cue verb governing the quotation: the quote is its object, complement or 'as' phrase."""
    seg = span.segment
    best: Token | None = None
    best_depth = 99
    for t in doc[a:b]:
        if a <= t.head.i < b:
            continue
        h, depth = t.head, 1
        # The parser sometimes runs a sentence over a paragraph break: a cue there is another quote's.
        while depth <= 6 and not quoted[h.i] and seg.start <= h.idx < seg.end:
            if _is_cue(h):
                if depth < best_depth:
                    best, best_depth = h, depth
                break
            if h.head.i == h.i:
                break
            h, depth = h.head, depth + 1
    return best


def _preceding_cue(doc: Doc, span: _Span, a: int, quoted: list[bool]) -> Token | None:
    """A cue a few words before the quote in its own paragraph ("criticised 'hostile' Russia"), for when
    the parse runs a headline into the next paragraph and the quote's own tree leads nowhere."""
    for i in range(a - 1, max(-1, a - 7), -1):
        t = doc[i]
        if t.idx < span.segment.start or quoted[i] or t.text in ".!?;":
            return None
        if _is_cue(t):
            return t
    return None


def _after(doc: Doc, span: _Span, b: int) -> int:
    """Index of the first token after the quote's closing mark (and spaces), within its paragraph."""
    i = b
    while i < len(doc) and doc[i].idx < span.outer_end:
        i += 1
    while i < len(doc) and (doc[i].is_space or doc[i].text in ("\u00a0",)):
        i += 1
    return i


def _labelled(doc: Doc, span: _Span, a: int, b: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """A name right before a colon that opens the quote, or right after a dash that follows it."""
    i = a - 1
    while i >= 0 and (doc[i].is_space or doc[i].is_quote):
        i -= 1
    # The tagger calls a sentence-initial name a noun ("Reid: ..."); only an entity is taken then.
    n = i - 1
    if i >= 1 and doc[i].text == ":" and (doc[n].pos_ == "PROPN" or _is_name_word(doc[n])):
        # Only a bare label ("Clinton: ..."): after a verb the name is an addressee or a place. A label may
        # follow another quotation's end ('... ISIS." Bush: "...').
        k = n
        while (
            k > 0
            and doc[k - 1].idx >= span.segment.start
            and doc[k - 1].text not in _DASHES
            and not (doc[k - 1].is_quote and k >= 2 and doc[k - 2].text in ".!?")
        ):
            k -= 1
            opening = k == 0 or doc[k - 1].idx < span.segment.start
            if opening and k == n - 1 and _is_cue(doc[k]):
                continue  # "Continued Stone: ...": a cue word opening the label
            if doc[k].pos_ in ("VERB", "AUX", "ADP") or doc[k].text in ".!?":
                break
        else:
            who = resolver.entity_at(doc[n]) or resolver.by_name.get(doc[n].text) or resolver.named(doc[n])
            if who is not None and who.type in ("PERSON", "ORG"):
                return doc[i], who
    j = _after(doc, span, b)
    if 0 < j < len(doc) and doc[j - 1].idx < span.outer_end and _is_dash(doc[j - 1]):
        j -= 1  # the tokenizer glued the dash to the closing mark: '”―'
    if (
        i >= 1
        and doc[i].text in _DASHES
        and j < len(doc)
        and doc[j].text in _DASHES
        and doc[i - 1].pos_ == "PROPN"
    ):
        # "the former candidate Mitt Romney -- ''It is disqualifying ...'' -- and ...": a quotation set
        # between dashes right after a name is that person's.
        who = resolver.entity_at(doc[i - 1]) or resolver.by_name.get(doc[i - 1].text)
        if who is not None and who.type == "PERSON":
            return doc[i], who
    if j + 1 < len(doc) and _is_dash(doc[j]):
        k = j + 1
        while k < len(doc) and doc[k].is_space:
            k += 1
        if k < len(doc) and doc[k].pos_ == "PROPN":
            last = k  # a new name is built from its last word: "Karen Bobadilla"
            while last + 1 < len(doc) and doc[last + 1].pos_ == "PROPN":
                last += 1
            who = resolver.entity_at(doc[k]) or resolver.by_name.get(doc[k].text) or resolver.named(doc[last])
            if who is not None:
                return doc[j], who
    return None


def _is_dash(token: Token) -> bool:
    return token.text.lstrip(_QUOTE_CHARS) in _DASHES


def _trailing_verb(doc: Doc, span: _Span, b: int, quoted: list[bool]) -> Token | None:
    """The verb of an attribution right after a quote ending in , ? or ! ("...?" Hannity pressed.)."""
    if text_of(doc)[span.start : span.end].rstrip()[-1:] not in ",?!—-":
        return None
    j = _after(doc, span, b)
    for k in range(j, min(len(doc), j + 16)):
        t = doc[k]
        if quoted[t.i] or t.idx >= span.segment.end or t.is_quote or t.text in ".!?;":
            return None
        if t.pos_ != "VERB" or t.dep_ in SUBJECTS:
            continue  # a name the tagger called a verb ("Trump shot back")
        if k < j + 4 and (
            k == j
            or (doc[j].dep_ in SUBJECTS and doc[j].head.i == t.i)
            or all(doc[n].pos_ == "PROPN" for n in range(j, k))
        ):
            return t
        # '"...!" the presumptive nominee, Donald Trump, tweeted': a cue after a long subject.
        if _is_cue(t) and (
            any(c.dep_ in SUBJECTS and j <= c.i < k for c in t.children)
            or (t.dep_ == "acl" and j <= t.head.i < k)  # "the nominee, Donald Trump, tweeted" as a modifier
        ):
            return t
    return None


def _colon_cue(doc: Doc, a: int) -> Token | None:
    """The verb a colon right before the quote hangs on ("Mr Christie gloated: ..."), whatever its lemma."""
    i = a - 1
    while (i >= 0 and doc[i].is_space) or (i >= 0 and doc[i].is_quote):
        i -= 1
    if i >= 1 and doc[i].text == ",":
        # "Hillary shot back, “...”": a verb (or verb and particle) right before the comma introduces it.
        verb = doc[i - 1] if doc[i - 1].dep_ not in ("prt", "advmod") else doc[i - 1].head
        # "saying during the debate last week, “...”": a cue before an adverbial phrase introduces it.
        adjunct = verb
        while adjunct.pos_ != "VERB" and adjunct.dep_ in _ADJUNCT and adjunct.head.i < adjunct.i:
            adjunct = adjunct.head
        if adjunct is not verb and _is_cue(adjunct):
            return adjunct
        if verb.lemma_.lower() in _MESSAGES and verb.dep_ == "dobj" and verb.head.i < verb.i:
            verb = verb.head  # "Trump issued a statement, “...”": the issuing verb introduces it
        if verb.pos_ == "VERB" and verb.i < i and verb.lemma_ not in ("be", "have", "do"):
            if not _is_cue(verb) and verb.dep_ == "advcl" and _is_cue(verb.head) and verb.head.i < verb.i:
                return verb.head  # "Clinton said in the spring, when the story broke, “...”"
            return verb
        return None
    if i < 1 or doc[i].text != ":":
        return None
    head = doc[i].head
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:
        head = head.head
    if head.pos_ not in ("VERB", "AUX") or head.i > i or (head.lemma_ == "be" and not _is_cue(head)):
        return None
    return head


def sentence_of(doc: Doc, i: int) -> Span:
    """The sentence holding token `i`. Token.sent walks every sentence of the Doc on each call; the
    sentence list is built once per Doc here and searched by position."""
    cached = doc.user_data.get(_SENTENCES)
    if cached is None:
        # Plain offsets, not Spans: a Span kept on its own Doc would make a reference cycle, and the
        # Doc's memory would wait for the cyclic garbage collector.
        cached = [(s.start, s.end) for s in doc.sents]
        doc.user_data[_SENTENCES] = cached
    start, end = cached[bisect.bisect_right(cached, (i, len(doc) + 1)) - 1]
    return doc[start:end]


_SENTENCES = "newsstreams.sentences"


def _nearby_cue(doc: Doc, span: _Span, a: int, b: int, quoted: list[bool]) -> Token | None:
    """A cue verb outside quotations in the sentences the quotation starts and ends in."""
    first = sentence_of(doc, a) if a < len(doc) else None
    last = sentence_of(doc, max(a, b - 1))
    candidates: list[tuple[int, Token]] = []
    sentences = [s for s in (first, last) if s is not None]
    for sent in {(s.start, s.end): s for s in sentences}.values():
        for t in sent:
            if quoted[t.i] or not _is_cue(t) or not span.segment.start <= t.idx < span.segment.end:
                continue
            distance = a - t.i if t.i < a else t.i - b + 1
            candidates.append((distance, t))
    # Attribution right after the quote ("..." he said.) in a short sentence of its own.
    nxt = b
    while nxt < len(doc) and (doc[nxt].is_punct or doc[nxt].is_space):
        nxt += 1
    if not candidates and nxt < len(doc):
        after = sentence_of(doc, nxt)
        if after.start >= b and len(after) <= 12:
            for t in after:
                if not quoted[t.i] and _is_cue(t) and span.segment.start <= t.idx < span.segment.end:
                    candidates.append((t.i - b + 1, t))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1]


def _previous_sentence_cue(doc: Doc, span: _Span, a: int, quoted: list[bool]) -> Token | None:
    """A cue ending the sentence right before the quote with nothing said yet ("Sam Lau said in a
    statement. “...”", "Dianne Bystrom agreed. “...”"): the quote is what it introduced."""
    i = a - 1
    while i >= 0 and (doc[i].is_space or doc[i].is_quote):
        i -= 1
    if i < 1 or doc[i].text != "." or doc[i].idx < span.segment.start or quoted[i]:
        return None
    sent = sentence_of(doc, i)
    if sent.start < a <= sent.end - 1 or any(t.is_quote or quoted[t.i] for t in sent):
        return None  # the quotation is inside that sentence, or it already holds a quotation
    cues = [t for t in sent if _is_cue(t) and t.dep_ == "ROOT"]
    if not cues or any(c.dep_ in ("ccomp", "dobj", "xcomp") for c in cues[0].children):
        return None  # "He said the plan would fail." has said its piece
    return cues[0]


def _attribution_after(doc: Doc, span: _Span, b: int, quoted: list[bool]) -> Token | None:
    """The cue of a short attribution sentence right after the quote ("“...” Sullivan wrote.")."""
    j = _after(doc, span, b)
    for t in doc[j : min(len(doc), j + 8)]:
        if quoted[t.i] or t.is_quote or t.idx >= span.segment.end or t.text in ".!?;":
            return None
        if _is_cue(t) and any(c.dep_ in SUBJECTS and j <= c.i < t.i for c in t.children):
            return t
    return None


def _intro_cue(
    parsed: ParsedArticle, position: dict[Segment, int], span: _Span, a: int, quoted: list[bool]
) -> Token | None:
    """A cue ending the previous paragraph with a colon ("Cruz called them on it:") for a quote opening this one."""
    doc = parsed.doc
    text = text_of(doc)
    seg = span.segment
    if text[seg.start : span.outer_start].strip():
        return None
    i = position[seg]
    if i == 0 or not text[parsed.segments[i - 1].start : parsed.segments[i - 1].end].rstrip().endswith(":"):
        return None
    prev = parsed.segments[i - 1]
    tail = doc.char_span(prev.start, prev.end, alignment_mode="expand")
    if tail is None:
        return None
    sent = sentence_of(doc, tail.end - 1)
    cues = [t for t in sent if not quoted[t.i] and _is_cue(t)]
    return cues[-1] if cues else None


def extract_quotes(
    parsed: ParsedArticle, entities: Sequence[Entity], *, max_quotes: int = 300
) -> list[Quote]:
    """Direct quotations of one parsed article with cue, canonical speaker and addressee, in text order."""
    return extract_quotes_and_speakers(parsed, entities, max_quotes=max_quotes)[0]


def extract_quotes_and_speakers(
    parsed: ParsedArticle, entities: Sequence[Entity], *, max_quotes: int = 300
) -> tuple[list[Quote], list[Entity]]:
    """The quotations, and the people the entity stage missed that some kept quotation names as its
    speaker ("Reid: ..."): new PERSON entities of the article, with the mentions at those cues."""
    spans, added = _attribute(parsed, entities)
    kept = spans[:max_quotes]
    used = {s.speaker.entity_id for s in kept if s.speaker} | {
        s.addressee.entity_id for s in kept if s.addressee
    }
    new = {e.entity_id: e for e in added if e.entity_id in used}
    for s in kept:
        if s.speaker is not None and s.speaker.entity_id in new:
            s.speaker = new[s.speaker.entity_id]
        if s.addressee is not None and s.addressee.entity_id in new:
            s.addressee = new[s.addressee.entity_id]
    return [_to_quote(parsed, s) for s in kept], list(new.values())


def attribute(parsed: ParsedArticle, entities: Sequence[Entity]) -> list[_Span]:
    """Quotation spans with their cue token, speaker and addressee filled in."""
    return _attribute(parsed, entities)[0]


def _attribute(parsed: ParsedArticle, entities: Sequence[Entity]) -> tuple[list[_Span], list[Entity]]:
    doc = parsed.doc
    spans = find_spans(parsed)
    quoted = [False] * len(doc)
    for s in spans:
        tok = doc.char_span(s.start, s.end, alignment_mode="expand")
        if tok is None or len(tok) == 0:
            s.tokens = (0, 0)
            continue
        s.tokens = (tok.start, tok.end)
        for i in range(tok.start, tok.end):
            quoted[i] = True
    resolver = _Resolver(parsed, entities, quoted)
    for s in spans:
        a, b = s.tokens
        if a == b:
            continue
        full = quote_kind(text_of(doc)[s.start : s.end]) == "full"
        labelled = _labelled(doc, s, a, b, resolver) if full else None
        if labelled is not None:
            # "Clinton: “...”" and "“...” ― Karen Bobadilla": the name is the attribution.
            s.cue, s.speaker = labelled
            continue
        cue = _colon_cue(doc, a) if full else None
        if cue is not None and not _is_cue(cue):
            # "... it was stuck in State's system: “Trust me.” Sullivan wrote.": the attribution after the
            # quote names the speaker; the verb before the colon only led up to it.
            cue = _attribution_after(doc, s, b, quoted) or cue
        cue = cue or _ancestor_cue(doc, s, a, b, quoted) or _preceding_cue(doc, s, a, quoted)
        if cue is not None and cue.i >= b:
            # '“...,” Trump said, after Becky Quick said ...': the parser hung the quote on a later cue; the
            # attribution right after the closing mark is the quote's own.
            trailing = _trailing_verb(doc, s, b, quoted)
            if trailing is not None and trailing.i < cue.i and _is_cue(trailing):
                cue = trailing
        # A phrase quoted inside a sentence belongs to the cue that governs it, never to a cue nearby.
        if cue is None and full:
            cue = (
                _nearby_cue(doc, s, a, b, quoted)
                or _trailing_verb(doc, s, b, quoted)
                or _intro_cue(parsed, resolver.position, s, a, quoted)
                or _previous_sentence_cue(doc, s, a, quoted)
            )
        if cue is None:
            continue
        s.cue = cue
        who = _speaker_token(cue, quoted)
        if who is not None and not quoted[who.i]:
            s.speaker = resolver.resolve(who, before=who.i) or resolver.named(who)
            if s.speaker is not None and who.pos_ == "PRON":
                # The next "he said" most likely means the same person: let the chain carry on.
                resolver.remember(who, s.speaker)
        if s.speaker is None and cue.pos_ == "VERB" and (who is None or quoted[who.i] or who.pos_ == "PROPN"):
            # No subject, or one inside the quotation: the parse went wrong around the attribution.
            s.speaker = (
                resolver.surname_before(cue)
                or resolver.after_quote(s, b, cue)
                or resolver.beside(cue)
                or resolver.previous_subject(cue)
            )
        to = _addressee_token(cue)
        if to is not None:
            addressee = resolver.resolve(to, before=to.i)
            if addressee is not None and (s.speaker is None or addressee.entity_id != s.speaker.entity_id):
                s.addressee = addressee
    _share_within_groups(spans)
    _inherit(parsed, spans, resolver.position)
    return [s for s in spans if _keep(doc, s)], resolver.added_entities(entities)


def _share_within_groups(spans: list[_Span]) -> None:
    """Every paragraph of a multi-paragraph quotation has the speaker found for any of them."""
    by_group: dict[int, list[_Span]] = {}
    for s in spans:
        by_group.setdefault(s.group, []).append(s)
    for members in by_group.values():
        if len(members) < 2:
            continue
        source = next((m for m in members if m.speaker is not None), None) or next(
            (m for m in members if m.cue is not None), None
        )
        if source is None:
            continue
        for m in members:
            if m.cue is None:
                m.cue, m.speaker, m.addressee = source.cue, source.speaker, source.addressee


def _inherit(parsed: ParsedArticle, spans: Iterable[_Span], position: dict[Segment, int]) -> None:
    """Unattributed quotes after an attributed one ("X," he said. "Y.") take the same speaker: in the
    same paragraph, or opening the next one when little text follows the attributed quote."""
    text = text_of(parsed.doc)
    previous: _Span | None = None
    for s in spans:
        # A dash label ("” ― Karen Bobadilla") names only the quote it follows.
        if s.cue is None and previous is not None and previous.cue is not None and not _is_dash(previous.cue):
            i = position[s.segment]
            follows = (
                not text[s.segment.start : s.outer_start].strip()
                and i > 0
                and parsed.segments[i - 1] == previous.segment
                and len(text[previous.outer_end : previous.segment.end]) < 60
            )
            if previous.segment == s.segment or follows:
                s.cue, s.speaker, s.addressee = previous.cue, previous.speaker, previous.addressee
        previous = s


def _keep(doc: Doc, s: _Span) -> bool:
    """Attributed quotations and sentence-like ones; a short unattributed phrase is a scare quote or a title."""
    if s.tokens[0] == s.tokens[1]:
        return False
    words = text_of(doc)[s.start : s.end]
    # '"Posthumous books could come with a lot of dollar signs," by Boston Globe's ...': an article's title.
    if _BYLINE_AFTER.match(text_of(doc), s.outer_end):
        return False
    # Title case right after its cue and punctuation ('said, "No."', 'chanting: "Lock Her Up!"') is speech.
    introduced = (
        s.cue is not None
        and s.cue.i < s.tokens[0]
        and all(doc[i].is_punct or doc[i].is_space for i in range(s.cue.i + 1, s.tokens[0]))
    )
    if is_title(words) and not introduced:
        return False
    if s.cue is not None:
        return True
    return quote_kind(words) == "full"


def is_title(text: str) -> bool:
    """Title case with no sentence inside ("Face the Nation", "An American Son."): a work, show or slogan."""
    words = _WORD.findall(text)
    if not words or len(words) > 10 or re.search(r"[.!?][\"”’']?\s+\S", text.strip()):
        return False
    if words[0].lower() == "i" or words[0] in ("I'm", "I’m"):
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _TITLE_SMALL for w in words) and any(
        w[0].isupper() for w in words[1:] or words
    )


def _to_quote(parsed: ParsedArticle, s: _Span) -> Quote:
    text = text_of(parsed.doc)
    start, end = s.start, s.end
    # Trim the spaces inside the marks so the offsets point at the first and last quoted character.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    seg, offset = parsed.locate(start)
    words = text[start:end]
    return Quote(
        text=words,
        kind=quote_kind(words),
        section=seg.section,
        paragraph=seg.index,
        start=offset,
        end=offset + (end - start),
        doc_start=start,
        doc_end=end,
        cue=_cue_text(s.cue) if s.cue is not None else None,
        speaker=s.speaker,
        addressee=s.addressee,
    )
