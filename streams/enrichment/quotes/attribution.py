"""Attribution: quotation spans tied to their cues and canonical speakers, as Quote values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from streams.enrichment.entities import Entity
from streams.enrichment.nlp import ParsedArticle, text_of
from streams.enrichment.quotes.cues import (
    _DASHES,
    _ancestor_cue,
    _attribution_after,
    _colon_cue,
    _cue_text,
    _intro_cue,
    _is_cue,
    _is_dash,
    _nearby_cue,
    _preceding_cue,
    _previous_sentence_cue,
    _trailing_verb,
)
from streams.enrichment.quotes.resolver import _is_name_word, _Resolver
from streams.enrichment.quotes.spans import _after, _Span, find_spans, is_title, quote_kind
from streams.enrichment.quotes.speakers import _addressee_token, _speaker_token
from streams.enrichment.quotes.syntax import SPEECH_NOUNS, SUBJECTS, before_quote, sentence_of


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


_BYLINE_AFTER = re.compile(r"\s+by\s+(?:the\s+)?[A-Z]")


def _labelled(doc: Doc, span: _Span, a: int, b: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """A name right before a colon that opens the quote, or right after a dash that follows it."""
    i = before_quote(doc, a)
    # The tagger calls a sentence-initial name a noun ("Reid: ..."); only an entity is taken then.
    n = _before_parenthesis(doc, i - 1)
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
            # "Former secretary of state Hillary Rodham Clinton: ...": "of" inside a title is no verb phrase.
            if (doc[k].pos_ in ("VERB", "AUX", "ADP") and doc[k].lower_ != "of") or doc[k].text in ".!?":
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
    if i >= 1 and doc[i].text in _DASHES and j < len(doc) and doc[j].text in _DASHES:
        # "When Trump finally wrapped up — “I will fight for you!” — the balloons came down": set between
        # dashes right after a clause, the quotation is what that clause's subject said.
        verb = doc[i - 1].head if doc[i - 1].dep_ == "prt" else doc[i - 1]
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None) if verb.pos_ == "VERB" else None
        who = resolver.resolve(subject) if subject is not None else None
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
    return _signature(doc, span, j, resolver)


def _signature(doc: Doc, span: _Span, j: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """A quotation that closes its paragraph, then a paragraph opening with a dash and a name ("-Michelle
    Marks, Philadelphia."): the name signs the quotation, as a dash after it in its own paragraph does."""
    text = text_of(doc)
    if j >= len(doc) or doc[j].idx < span.segment.end or text[span.outer_end : span.segment.end].strip():
        return None
    first = j + 1 if doc[j].text in _DASHES else j
    if first == j and not (doc[j].text[:1] in _DASHES and doc[j].text[1:2].isupper()):
        return None  # the paragraph opens with no dash
    # A name glued to its dash ("-Ana") is tagged as punctuation: its capital says it opens a name.
    if first >= len(doc) or (first > j and doc[first].pos_ != "PROPN"):
        return None
    last = first  # the name is found by its last word: "-President Obama" -> Obama
    while last + 1 < len(doc) and doc[last + 1].pos_ == "PROPN":
        last += 1
    who = resolver.entity_at(doc[last]) or resolver.by_name.get(doc[last].text) or resolver.named(doc[last])
    return (doc[j], who) if who is not None and who.type == "PERSON" else None


def _headline_label(doc: Doc, span: _Span, a: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """A headline that opens with a person's name and gives a quotation after a colon ("Sarah Silverman
    heckles Sanders supporters: 'You're being ridiculous.'", "Gillibrand on the transcripts: 'I Think She
    Will.'"): headline style puts the speaker first, whatever the words between."""
    i = before_quote(doc, a)
    if i < 1 or doc[i].text != ":":
        return None
    lead = [t for t in doc[:i] if t.idx >= span.segment.start]
    if not lead or len(lead) > 20 or any(t.text in ".!?" or t.is_quote for t in lead):
        return None  # a sentence of the text, not a headline's short line
    last = 0
    while last + 1 < len(lead) and lead[last + 1].pos_ == "PROPN" and lead[last + 1].ent_type_ == "PERSON":
        last += 1
    # The tagger reads a headline's opening surname as anything ("Gillibrand" VERB): the article's people decide.
    name = lead[last]
    who = resolver.entity_at(name) or resolver.by_name.get(name.text)
    return (doc[i], who) if who is not None and who.type == "PERSON" else None


# Nouns by which the next sentence refers back to a quotation ("That quote from ...").
_QUOTE_NOUNS = frozenset({"quote", "quotation", "remark", "line", "comment", "words"})


def _quote_from(doc: Doc, span: _Span, b: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """ "“I'd rather have a sister in a whorehouse than a brother in the FBI.” That quote from Commissioner
    Thomas Krebs appeared ...": the sentence after the quotation names whose words they were."""
    j = _after(doc, span, b)
    if j + 1 >= len(doc) or doc[j].idx >= span.segment.end or doc[j].lower_ not in ("that", "the", "this"):
        return None
    noun = doc[j + 1]
    # Read by the words, not the parse: the tagger often takes "quote" for an interjection or a verb here.
    if noun.lower_ not in _QUOTE_NOUNS or j + 2 >= len(doc) or doc[j + 2].lower_ not in ("from", "by"):
        return None
    name: Token | None = None
    for t in doc[j + 3 : min(len(doc), j + 10)]:
        if t.pos_ == "PROPN":
            name = t  # the last word of the first name: "Commissioner Thomas Krebs" -> Krebs
        elif name is not None or t.pos_ in ("VERB", "AUX", "PUNCT"):
            break
    who = (resolver.entity_at(name) or resolver.named(name)) if name is not None else None
    return (noun, who) if who is not None and who.type in ("PERSON", "ORG") else None


# "in Forbes' words", "in Bolton's view": nouns by which a phrase credits words to their possessor.
_IN_WORDS = frozenset({"words", "view", "phrase", "telling", "estimation", "opinion"})


def _in_their_words(
    doc: Doc, span: _Span, a: int, b: int, resolver: _Resolver
) -> tuple[Token, Entity] | None:
    """ "because, in Forbes' words, “they are ...”", "“...” from diplomacy to defence, in Bolton's view.": a
    phrase "in X's words" right before the quotation, or ending its sentence, names the speaker."""
    sent_end = sentence_of(doc, max(a, b - 1)).end
    before = [i for i in range(max(0, a - 8), a) if doc[i].lower_ == "in"]
    after = [i for i in range(b, min(sent_end, b + 16)) if doc[i].lower_ == "in"]
    for i in before[-1:] + after:
        k = i + 1
        while k < len(doc) and doc[k].pos_ == "PROPN":
            k += 1
        if k == i + 1 or k + 1 >= len(doc) or doc[k].tag_ != "POS" or doc[k + 1].lower_ not in _IN_WORDS:
            continue
        if i < a and any(doc[t].is_quote or doc[t].text in ".!?" for t in range(k + 2, a - 1)):
            continue  # another phrase lies between it and the quotation
        name = doc[k - 1]
        who = resolver.entity_at(name) or resolver.by_name.get(name.text) or resolver.named(name)
        if who is not None and who.type in ("PERSON", "ORG") and not resolver.quoted[name.i]:
            return doc[k + 1], who
    return None


def _presented(doc: Doc, span: _Span, a: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """ "Here's Clinton in December 1992: “...”", "More from Blumenthal and Cohen: “...”", "From Bush's Facebook
    post: “...”": a phrase that only presents a person, or their words, before a colon gives the quotation after
    it to that person (the last name of a pair)."""
    i = before_quote(doc, a)
    if i < 2 or doc[i].text != ":":
        return None
    sent = sentence_of(doc, i)
    first = max(sent.start, next((t.i for t in doc[sent.start : i] if t.idx >= span.segment.start), i))
    for k in range(
        i - 1, first - 1, -1
    ):  # a dash opens the presenting clause too ("... all along -More from")
        if doc[k].text in _DASHES or (doc[k].text[:1] in "-–—" and doc[k].text[1:2].isupper()):
            first = k + 1 if doc[k].text in _DASHES else k
            break
    lead = doc[first:i]
    if len(lead) < 3 or len(lead) > 12 or any(resolver.quoted[t.i] or t.is_quote for t in lead):
        return None
    words = [t.lower_.lstrip("".join(_DASHES)) for t in lead]
    here = words[0] == "here" and words[1] in ("'s", "’s", "is", "are", "was")
    if here or words[:2] == ["more", "from"]:
        rest = lead[2:]
    elif words[0] == "from" and lead[-1].lemma_.lower() in SPEECH_NOUNS:
        rest = lead[1:]  # "From Bush's Facebook post: “...”": the words' possessor
    else:
        return None
    # The first run of proper nouns after the presenting words, through "and" ("Blumenthal and Cohen").
    name: Token | None = None
    for t in rest:
        if t.pos_ == "PROPN" and t.ent_type_ not in ("DATE", "TIME", "GPE", "LOC"):
            name = t
        elif name is not None and not (t.lower_ == "and" and t.i + 1 < i and doc[t.i + 1].pos_ == "PROPN"):
            break
        elif name is None and t.pos_ not in ("DET", "ADJ", "NOUN"):
            return None  # "Here's what she said:" names no one here
    if name is None:
        return None
    who = resolver.entity_at(name) or resolver.by_name.get(name.text) or resolver.named(name)
    return (doc[i], who) if who is not None and who.type in ("PERSON", "ORG") else None


def _signed_inside(doc: Doc, span: _Span, a: int, b: int, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """'"I worry that we may see ... tax cuts. Dean Baker, Center for Economic and Policy Research."': a
    pulled quotation whose last sentence is only a person's name and affiliation, with no verb, is signed by
    that person; the signature is cut from the quotation's words."""
    last_sent = sentence_of(doc, b - 1)
    line = doc[max(last_sent.start, a) : b]
    if last_sent.start <= a or not 3 <= len(line) <= 14 or line[0].pos_ != "PROPN":
        return None
    if any(t.pos_ in ("VERB", "AUX") or t.is_quote for t in line):
        return None
    name = line[0]
    while name.i + 1 < b and doc[name.i + 1].pos_ == "PROPN":
        name = doc[name.i + 1]
    if name.i + 2 >= b or doc[name.i + 1].text != "," or doc[name.i + 2].pos_ != "PROPN":
        return None  # the name is followed by its affiliation: "Dean Baker, Center for ..."
    who = resolver.entity_at(name) or resolver.by_name.get(name.text)
    if who is None or who.type != "PERSON":
        return None
    span.end = len(text_of(doc)[: line[0].idx].rstrip())
    return doc[name.i + 1], who


def _label(
    doc: Doc, s: _Span, a: int, b: int, full: bool, resolver: _Resolver
) -> tuple[Token, Entity] | None:
    """A speaker named by a label, a headline, a signature or a phrase around the quotation, not by a cue."""
    if not full:
        return _in_their_words(doc, s, a, b, resolver)
    labelled = _labelled(doc, s, a, b, resolver)
    if labelled is None and (s.segment.section == "headline" or resolver.position[s.segment] == 0):
        labelled = _headline_label(doc, s, a, resolver)
    return (
        labelled
        or _quote_from(doc, s, b, resolver)
        or _in_their_words(doc, s, a, b, resolver)
        or _presented(doc, s, a, resolver)
        or _signed_inside(doc, s, a, b, resolver)
    )


def _before_parenthesis(doc: Doc, n: int) -> int:
    """The token before a short parenthesis ending at `n` ("Rep. Trey Gowdy (R-S.C.):" -> Gowdy): a party
    and state, or an age, after a label's name is no part of it. `n` itself when no parenthesis ends there."""
    if n < 1 or not doc[n].text.endswith(")"):
        return n
    for k in range(n, max(0, n - 8), -1):
        if doc[k].text.startswith("("):
            return k - 1 if k >= 1 else n
    return n


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
        labelled = _label(doc, s, a, b, full, resolver)
        if labelled is not None:
            # "Clinton: “...”" and "“...” ― Karen Bobadilla": the name is the attribution.
            s.cue, s.speaker = labelled
            continue
        cue = _colon_cue(doc, a) if full else None
        if cue is not None and not _is_cue(cue):
            # "... it was stuck in State's system: “Trust me.” Sullivan wrote.": the attribution after the
            # quote names the speaker; the verb before the colon only led up to it.
            # A long subject ('” Isaac Boltansky, an analyst at Compass Point, wrote') is found as for a
            # quote ending in a comma.
            after = _attribution_after(doc, s, b, quoted) or _trailing_verb(doc, s, b, quoted)
            # "... in Berlin in 1987: “Tear down this wall!” Conservatives still praise his refusal": a cue
            # with words of its own after the quotation is a new statement, not this one's attribution.
            own = after is not None and any(
                c.dep_ in ("dobj", "ccomp") and c.i > after.i for c in after.children
            )
            cue = after if after is not None and _is_cue(after) and not own else cue
        cue = cue or _ancestor_cue(doc, s, a, b, quoted) or _preceding_cue(doc, s, a, quoted)
        if cue is not None and cue.i < a:
            # '... but Moscow denies — “why wouldn’t you want to?” asked Dunn, a former adviser': a cue put
            # before its name right after the closing mark is the quote's own attribution.
            cue = _inverted_after(doc, s, b, quoted) or cue
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
        if cue is None and not full and _opens_sentence(doc, s, a):
            # '"Debate recap," tweeted Rubio spokesman Alex Conant.': a short phrase opening its sentence and
            # followed by an inverted cue and a name is what that person said, not a title.
            cue = _inverted_after(doc, s, b, quoted)
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
                resolver.name_as_verb(cue)
                or resolver.surname_before(cue)
                or resolver.after_quote(s, b, cue)
                or resolver.beside(cue)
                or resolver.previous_subject(cue)
            )
        if s.speaker is None and full and not _is_cue(cue):
            s.speaker = _named_before_colon(doc, cue, a, resolver)
        to = _addressee_token(cue)
        if to is not None:
            addressee = resolver.resolve(to, before=to.i)
            if addressee is not None and (s.speaker is None or addressee.entity_id != s.speaker.entity_id):
                s.addressee = addressee
    _share_within_groups(spans)
    _inherit(parsed, spans, resolver)
    return [s for s in spans if _keep(doc, s)], resolver.added_entities(entities)


def _named_before_colon(doc: Doc, verb: Token, a: int, resolver: _Resolver) -> Entity | None:
    """ "The timing doesn't surprise Republican pollster Daron Shaw: “...”": when the verb before a colon is no
    speech verb and its subject names no one, the person it names last, right before the colon, speaks."""
    i = before_quote(doc, a)
    if i < 1 or doc[i].text != ":" or verb.i >= i:
        return None
    name = doc[i - 1]
    if (
        name.pos_ != "PROPN"
        or resolver.quoted[name.i]
        or name.head.i != verb.i
        or name.dep_ not in ("dobj", "dative")
    ):
        return None
    who = resolver.entity_at(name) or resolver.by_name.get(name.text)
    return who if who is not None and who.type == "PERSON" else None


def _opens_sentence(doc: Doc, span: _Span, a: int) -> bool:
    """Whether the quotation starts its paragraph or follows the end of a sentence."""
    i = before_quote(doc, a)
    return i < 0 or doc[i].idx < span.segment.start or doc[i].text in (".", "!", "?")


def _inverted_after(doc: Doc, span: _Span, b: int, quoted: list[bool]) -> Token | None:
    """A cue verb right after a quotation ending in , ? or !, followed by a proper name ("asked Dunn")."""
    if text_of(doc)[span.start : span.end].rstrip()[-1:] not in ",?!":
        return None
    j = _after(doc, span, b)
    if j + 1 >= len(doc) or quoted[j] or doc[j].idx >= span.segment.end:
        return None
    verb, name = doc[j], doc[j + 1]
    return (
        verb
        if _is_cue(verb) and verb.pos_ == "VERB" and name.pos_ == "PROPN" and not quoted[name.i]
        else None
    )


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


def _inherit(parsed: ParsedArticle, spans: Iterable[_Span], resolver: _Resolver) -> None:
    """Unattributed quotes after an attributed one ("X," he said. "Y.") take the same speaker: in the
    same paragraph, or opening the next one when little text follows the attributed quote."""
    text = text_of(parsed.doc)
    position = resolver.position
    previous: _Span | None = None
    for s in spans:
        # A dash label ("” ― Karen Bobadilla") names only the quote it follows.
        if s.cue is None and previous is not None and previous.cue is not None and not _is_dash(previous.cue):
            i = position[s.segment]
            follows = (
                not text[s.segment.start : s.outer_start].strip()
                and i > 0
                and parsed.segments[i - 1] == previous.segment
                and (
                    len(text[previous.outer_end : previous.segment.end]) < 60
                    or _attribution_ends_paragraph(parsed, previous)
                )
            )
            if follows and previous.cue.i < previous.tokens[0]:
                # 'Friends mocked him, calling him “a buffoon,” Susan said as she turned.' then “But he's
                # ours!”: the attribution closing the paragraph before, not the verb that framed its last
                # quotation, speaks on.
                closing = _closing_attribution(parsed.doc, previous, resolver)
                if closing is not None:
                    s.cue, s.speaker = closing
                    previous = s
                    continue
            if previous.segment == s.segment or follows:
                s.cue, s.speaker, s.addressee = previous.cue, previous.speaker, previous.addressee
        previous = s


def _closing_attribution(doc: Doc, span: _Span, resolver: _Resolver) -> tuple[Token, Entity] | None:
    """The cue and speaker of an attribution sentence right after a quotation ("” Susan said as ...")."""
    cue = _attribution_after(doc, span, span.tokens[1], resolver.quoted)
    if cue is None:
        return None
    subject = next((c for c in cue.children if c.dep_ in SUBJECTS and c.i < cue.i), None)
    who = (resolver.resolve(subject) or resolver.named(subject)) if subject is not None else None
    return (cue, who) if who is not None else None


def _attribution_ends_paragraph(parsed: ParsedArticle, previous: _Span) -> bool:
    """Whether all that follows the quotation in its paragraph is its own attribution sentence ('“...,” said
    Rev. Kyev Tatum, then senior pastor at a church in Fort Worth.'), however long the speaker's description:
    a quotation opening the next paragraph with no attribution then goes on in the same voice."""
    cue = previous.cue
    if cue is None or cue.i < previous.tokens[1] or cue.idx >= previous.segment.end:
        return False
    doc = parsed.doc
    sent = sentence_of(doc, cue.i)
    rest = doc.char_span(previous.outer_end, previous.segment.end, alignment_mode="expand")
    return (
        rest is not None
        and sent.start <= rest.start
        and sent.end >= rest.end
        and not any(t.is_quote for t in rest)
    )


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
