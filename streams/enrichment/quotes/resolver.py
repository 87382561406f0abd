"""Speaker resolution: a speaker token to the article's canonical entity by name, role or antecedent."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from spacy.tokens import Doc, Token

from streams.enrichment.entities import (
    HONORIFICS,
    ROLE_HEADS,
    Entity,
    EntityMention,
    _salience,
    make_entity_id,
)
from streams.enrichment.entities.rules import masked
from streams.enrichment.nlp import ParsedArticle, text_of
from streams.enrichment.quotes.cues import CUES
from streams.enrichment.quotes.spans import _WORD, _after, _Span
from streams.enrichment.quotes.syntax import SPEECH_NOUNS, SUBJECTS, _wordset, sentence_of

PERSONAL = frozenset({"he", "him", "she", "her"})
COLLECTIVE = frozenset({"they", "them", "it", "we"})
FEMALE_TITLES = frozenset({"ms", "ms.", "mrs", "mrs.", "miss", "lady", "dame", "madam"})
MALE_TITLES = frozenset({"mr", "mr.", "sir", "lord"})
SPEAKER_TYPES = {"PERSON": 0, "ORG": 1, "NORP": 2, "GPE": 2, "FAC": 3, "PRODUCT": 3}
# Calendar words: alone they name no one ("May said" is rare, "Theresa May said" is a name).
_CALENDAR = _wordset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow"""
)
# Nouns for the people or channels that speak on someone's behalf ("Ryan's office said"): the possessor.
_ON_BEHALF = _wordset("office campaign camp team staff spokesman spokeswoman spokesperson account website")
# Capitalised words that never name a person: collective or generic subjects.
_NOT_PERSON = _wordset(
    """police officials official authorities aides aide sources source critics supporters voters
    experts analysts residents witnesses democrats republicans people everyone someone nobody
    god lord mom mum dad father mother"""
)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
# Links that stay inside a noun phrase: "Joel Pollak of Breitbart", "a spokeswoman, Anna White".
_NOUN_PHRASE = frozenset({"compound", "flat", "appos", "prep", "pobj", "nmod", "npadvmod"})


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
        if masked(self.doc, hi):
            return None  # "– Ali***": a name cut short to hide it names no one
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
        elif any(not self._may_be_person(t) for t in self.doc[lo:hi]) or (
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

    def _may_be_person(self, t: Token) -> bool:
        """No label, or a person's or a work's; or a "place" the entity stage refused (no gazetteer knows
        it): an unknown "place" that speaks is a person the model misread ("Nefzi said", "Sweeny said")."""
        if t.ent_type_ in ("", "PERSON", "WORK_OF_ART"):
            return True
        return t.ent_type_ in ("GPE", "LOC") and self.entity_at(t) is None

    def beside(self, cue: Token) -> Entity | None:
        """For a cue the parse gives no subject ("“...,” Tulsa police Chief Chuck Jordan said", "said
        retired neurosurgeon Ben Carson, asked ..."): the person named in the words
        right before it, back to the quote, or right after it, up to a comma. Organisations and places
        there are mostly where or to whom it was said ("told Fox News"), never taken."""
        doc = self.doc
        seg, _ = self.parsed.locate(cue.idx)

        # '“...,” said Oversight ranking Democrat Elijah Cummings': after an inverted cue the words up to the
        # comma are the speaker's title and name, so a participle there is a title word the tagger made a verb.
        before = cue.i - 1
        while before >= 0 and (doc[before].is_space or doc[before].text == ","):
            before -= 1
        inverted = before >= 0 and doc[before].is_quote

        def side(indices: range, after: bool) -> list[Entity]:
            found: list[Entity] = []
            for i in indices:
                t = doc[i]
                title_word = after and inverted and t.tag_ in ("VBG", "VBN")
                if (
                    self.quoted[i]
                    or t.is_quote
                    or t.is_space
                    or not seg.start <= t.idx < seg.end
                    or t.text in ".!?;:"
                    or (after and t.text == ",")
                    or (
                        t.pos_ in ("VERB", "AUX")
                        and not t.ent_type_
                        and t.dep_ not in ("amod", "compound")
                        and not title_word
                    )
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
        return self._person_called(t.text)

    def name_as_verb(self, cue: Token) -> Entity | None:
        """'“...,” Trump from his desk.': a person's name right after a quotation that the tagger, finding no
        verb, took for one (and so for the cue)."""
        doc = self.doc
        if cue.i == 0 or self.quoted[cue.i] or not cue.text[:1].isupper() or cue.lemma_.lower() in CUES:
            return None
        before = cue.i - 1
        while before > 0 and doc[before].is_space:
            before -= 1
        if not doc[before].is_quote:
            return None
        return self._person_called(cue.text)

    def _person_called(self, word: str) -> Entity | None:
        """The entity named `word` in full, else the one person whose surname it is."""
        people = [e for e in self.surnames.get(word, []) if e.type == "PERSON"]
        return self.by_name.get(word) or (people[0] if len(people) == 1 else None)

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
                # "Democrat Elijah Cummings": a party or nationality before a name describes the person
                # (before a common noun it is whom the speaker stands for: "a NY1 representative").
                if found is not None and not (
                    token.pos_ == "PROPN"
                    and token.text[:1].isupper()
                    and child.dep_ == "compound"
                    and found.type == "NORP"
                ):
                    return found
        apposed = self.apposed(token)
        if apposed is not None:
            return apposed
        role = self.role_entity(token) or self.organisation(token) or self.principal(token)
        if role is not None:
            return role
        if token.text[:1].isupper():  # the tagger calls a sentence-initial surname a noun ("Waters tweeted")
            # A surname the entity stage missed here but named elsewhere ("Fallon said" after "Brian Fallon").
            named = self.by_name.get(token.text)
            if named is not None:
                return named
            # "Mills then writes back" after "Cheryl Mills": a full name the entity stage typed an organisation
            # is still found by its last word (the tagger read "Mills" as a plural noun, so no name span); an
            # acronym ("PAC") is no surname.
            same = self.surnames.get(token.text, [])
            if (
                len(same) == 1
                and same[0].entity_id not in self.added  # a person named at a cue: named() adds the mention
                and not token.text.isupper()
                and token.lower_ not in _NOT_PERSON
            ):
                return same[0]
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

    def apposed(self, token: Token) -> Entity | None:
        """A person named beside a common-noun subject, set off by commas ("his best friend at Lehigh, Bruce
        Turry,", "The editor I was talking to, Tim Grieve, interrupted"): the name says who the description is,
        wherever the parser hung it (on the noun, on a prepositional object or on a relative clause)."""
        if token.pos_ != "NOUN":
            return None
        doc = self.doc
        candidates: list[Token] = []
        todo = [c for c in token.children if c.dep_ in ("prep", "appos")]
        while todo:
            t = todo.pop(0)
            if t.dep_ == "appos" and t.pos_ == "PROPN":
                candidates.append(t)
            todo.extend(c for c in t.children if c.dep_ in ("prep", "pobj", "appos"))
        # Before the verb: "The editor I was talking to, Tim Grieve, interrupted": ", Name," right before it.
        verb = token.head
        if token.dep_ in SUBJECTS and verb.i > token.i + 3 and doc[verb.i - 1].text == ",":
            last = verb.i - 2
            first = last
            while first > token.i and doc[first - 1].pos_ == "PROPN":
                first -= 1
            if doc[last].pos_ == "PROPN" and first > token.i + 1 and doc[first - 1].text == ",":
                candidates.append(doc[last])
        for t in candidates:
            if self.quoted[t.i]:
                continue
            e = self.entity_at(t) or self.by_name.get(t.text)
            if e is not None and e.type == "PERSON":
                return e
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
        """ "Ryan's office said", "his campaign said", "Hoff's letter makes a case:": the person or body
        they speak for; a message or a response speaks for whoever wrote or gave it."""
        if token.pos_ != "NOUN" or token.lemma_.lower() not in _ON_BEHALF | SPEECH_NOUNS:
            return None
        # The possessor nearest the noun: a parse run over a paragraph break can hang a second one on it.
        owner = max((c for c in token.children if c.dep_ == "poss"), key=lambda c: c.i, default=None)
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
    # "Democrat Elijah Cummings": a party or nationality before a name is no part of it.
    while (
        lo > 0
        and _is_name_word(doc[lo - 1])
        and doc[lo - 1].ent_type_ != "NORP"
        and lo <= doc[lo - 1].head.i <= token.i
    ):
        lo -= 1
    while hi + 1 < len(doc) and _is_name_word(doc[hi + 1]) and doc[hi + 1].dep_ in ("flat", "compound"):
        if not lo <= doc[hi + 1].head.i <= hi + 1:
            break
        hi += 1
    return lo, hi + 1
