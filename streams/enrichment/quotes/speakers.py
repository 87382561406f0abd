"""Who speaks at a cue: the speaker and addressee tokens that a cue verb's parse points to."""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Token

from streams.enrichment.quotes.cues import ADDRESS_CUES, _is_cue
from streams.enrichment.quotes.syntax import _MESSAGES, SUBJECTS, sentence_of

# Clause links through which a participle or conjoined verb shares its head's subject.
SHARED_SUBJECT = frozenset({"conj", "xcomp", "advcl", "ccomp", "pcomp", "acl", "relcl", "prep", "pobj"})
# Dependencies a misparsed subject gets after an inverted speech verb.
_INVERTED = frozenset({"advmod", "dobj", "attr", "npadvmod", "appos", "dep", "oprd", "nmod"})


def _speaker_token(verb: Token, quoted: Sequence[bool] | None = None) -> Token | None:
    """The subject of a cue verb, climbing through conjoined and participle clauses ("insisting")."""
    inside = quoted if quoted is not None else [False] * len(verb.doc)
    if verb.lower_ == "according":
        return _according_to(verb)
    agent = _passive_agent(verb)
    if agent is not None:
        return agent
    has_subject = any(c.dep_ in SUBJECTS for c in verb.children)
    if (
        verb.lemma_ == "quote"
        and verb.dep_ == "conj"
        and _is_cue(verb.head)
        and any(c.dep_ in SUBJECTS and c.lower_ == "i" for c in verb.children)
    ):
        return _speaker_token(verb.head, quoted)  # "Trump said, and I quote, ...": the writer quotes him
    if not has_subject:
        misparsed = _misparsed_subject(verb, inside)
        if misparsed is not None:
            return misparsed
        if verb.dep_ in ("conj", "advcl"):
            # "Pence said it takes time but added, ...": a speech verb hung on the reported clause of
            # another cue continues that cue's speech, so that cue's subject is the speaker.
            outer = _reporting_cue(verb)
            if outer is not None:
                return _speaker_token(outer, quoted)
    return _climbing_subject(verb, inside)


def _according_to(verb: Token) -> Token | None:
    """The source an "according to" cue names, or the author of the document it names."""
    for c in verb.children:
        if c.lower_ == "to":
            for p in c.children:
                if p.dep_ == "pobj":
                    return _author(p) or p
    return None


def _passive_agent(verb: Token) -> Token | None:
    """ "was asked by host John Dickerson": the agent of a passive cue is the speaker."""
    agent = [c for c in verb.children if c.dep_ == "agent"]
    if agent and any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children):
        for p in agent[0].children:
            if p.dep_ == "pobj":
                return p
    return None


def _misparsed_subject(verb: Token, inside: Sequence[bool]) -> Token | None:
    """For a cue the parse gives no subject: the speaker it attached elsewhere (after an inverted verb,
    glued to the verb, before a participle, or as the object of "as"), else None."""
    doc = verb.doc
    # '"...," said Skelly': the tagger sometimes misses the subject of an inverted attribution.
    before = verb.i - 1
    while before >= 0 and (doc[before].is_space or doc[before].text == ","):
        before -= 1
    if before >= 0 and doc[before].is_quote:
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
        phrase = _inverted_name(verb, inside)
        if phrase is not None:
            return phrase
    # '"...," Trump barked': a name between the quote and the verb, misparsed as a compound.
    names = verb.i
    while names > 0 and doc[names - 1].pos_ == "PROPN":
        names -= 1
    if 0 < names < verb.i and doc[names - 1].is_quote:
        return doc[verb.i - 1]
    if verb.tag_ == "VBG" and verb.i > 0:
        # "footage of Hillary Clinton asking, ...": the person the participle follows is the one speaking.
        person = doc[verb.i - 1]
        if (
            person.ent_type_ == "PERSON"
            and person.dep_ == "pobj"
            and person.head.lower_ == "of"
            and not inside[person.i]
        ):
            return person
    aside = _name_before_aside(verb, inside)
    if aside is not None:
        return aside
    # "As Akhil Amar put it, ...": the parser makes the speaker the object of "as".
    for c in verb.children:
        if c.lower_ == "as" and c.dep_ in ("mark", "prep") and c.i < verb.i:
            objects = [p for p in c.children if p.dep_ == "pobj"]
            if objects:
                return objects[0]
    return None


def _name_before_aside(verb: Token, inside: Sequence[bool]) -> Token | None:
    """ "after Mr. Trump, asked about the deaths of journalists, had said, ...": a name, then an aside set off
    by commas that opens with a participle or "who", right before a verb the parse left without subject."""
    doc = verb.doc
    # An opener the tagger calls a past tense ("asked about ...") only before a finite verb: before a
    # participle it is the main verb ("X, ..., endorsed Cruz last week, saying").
    finite = verb.tag_ in ("VBD", "VBZ", "VBP") or any(c.dep_ == "aux" for c in verb.children)
    openers = ("VBN", "VBG", "VBD") if finite else ("VBN", "VBG")
    i = verb.i - 1
    while i >= 0 and doc[i].head.i == verb.i and doc[i].dep_ in ("aux", "auxpass", "neg", "advmod"):
        i -= 1
    if i < 3 or doc[i].text != ",":
        return None
    k = i - 1
    while k > 0 and i - k < 20 and doc[k].text not in ",.;:!?" and not doc[k].is_quote and not inside[k]:
        k -= 1
    if doc[k].text != "," or k + 1 >= i or not (doc[k + 1].tag_ in openers or doc[k + 1].lower_ == "who"):
        return None
    name = doc[k - 1]
    return name if name.pos_ == "PROPN" and not inside[name.i] else None


def _inverted_name(verb: Token, inside: Sequence[bool]) -> Token | None:
    """ "“...,” said Oversight ranking Democrat Elijah Cummings (D-Md.).": when the parser hangs the name
    after an inverted cue on a title word it took for a verb, the last word of the first run of proper nouns
    before the next comma is the speaker's name."""
    doc = verb.doc
    last: Token | None = None
    for t in doc[verb.i + 1 : min(len(doc), verb.i + 9)]:
        if inside[t.i] or t.is_quote or t.text in ",.;:!?(":
            break
        if t.pos_ == "PROPN":
            last = t
        elif last is not None and not (t.pos_ in ("NOUN", "ADJ", "NUM") or t.tag_ in ("VBG", "VBN", "POS")):
            break  # only title words go on the phrase ("ranking", "spokesman"): "by Thrush if Clinton" ends it
    # "tweeted Rubio spokesman Alex Conant": a name before the title is whom the title serves, the name
    # after it is the speaker's, so the last run of proper nouns is taken.
    return last


def _climbing_subject(verb: Token, inside: Sequence[bool]) -> Token | None:
    """The subject of the cue's clause, or of the clauses it hangs on (up to four links up)."""
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
        if current.head.i == current.i and current.tag_ in ("VBD", "VBZ", "VBP"):
            # "In Concord, 14-year-old Aubrey Pelletier hoisted a sign": a name right before a finite verb
            # the parse left without subject is that subject (the parser took it for a place's object).
            name = current.doc[current.i - 1] if current.i > 0 else None
            if (
                name is not None
                and name.pos_ == "PROPN"
                and name.ent_type_ == "PERSON"
                and not inside[name.i]
            ):
                return name
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
