"""Speech cues: the verbs that introduce or attribute speech, and where a quotation finds its cue."""

from __future__ import annotations

from spacy.tokens import Doc, Token

from streams.enrichment.nlp import ParsedArticle, Segment, text_of
from streams.enrichment.quotes.spans import _after, _Span, is_title
from streams.enrichment.quotes.syntax import _MESSAGES, SPEECH_NOUNS, SUBJECTS, before_quote, sentence_of

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
_QUOTE_CHARS = "\"'“”‘’„«»"
_DASHES = frozenset({"―", "—", "–", "-", "--", "–-"})
# Links inside an adverbial phrase after a verb ("during the debate last week").
_ADJUNCT = frozenset({"prep", "pobj", "npadvmod", "advmod", "amod", "det", "compound", "nummod", "poss"})


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
    if token.lemma_ == "be":
        return _possessed_speech(token)
    return token.lemma_.lower() in CUES and token.pos_ in ("VERB", "AUX")


def _possessed_speech(verb: Token) -> bool:
    """ "Clinton's response was: “...”": "be" whose subject is someone's words presents them."""
    return any(
        c.dep_ == "nsubj" and c.lemma_.lower() in SPEECH_NOUNS and any(g.dep_ == "poss" for g in c.children)
        for c in verb.children
    )


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


def _is_dash(token: Token) -> bool:
    return token.text.lstrip(_QUOTE_CHARS) in _DASHES


def _trailing_verb(doc: Doc, span: _Span, b: int, quoted: list[bool]) -> Token | None:
    """The verb of an attribution right after a quote ending in , ? or ! ("...?" Hannity pressed.)."""
    words = text_of(doc)[span.start : span.end].rstrip()
    if words[-1:] not in ",?!—-":
        return None
    # A clause left open by a comma, not a title or a name in marks ('“24,” which aired on').
    open_clause = words.endswith(",") and len(words.split()) >= 4 and not is_title(words.rstrip(","))
    j = _after(doc, span, b)
    for k in range(j, min(len(doc), j + 16)):
        t = doc[k]
        if quoted[t.i] or t.idx >= span.segment.end or t.is_quote or t.text in ".!?;":
            return None
        if t.pos_ != "VERB" or t.dep_ in SUBJECTS:
            continue  # a name the tagger called a verb ("Trump shot back")
        if k < j + 4 and (
            k == j
            # '“24,” which aired on Fox': a relative pronoun after the marks describes a quoted title.
            or (doc[j].dep_ in SUBJECTS and doc[j].head.i == t.i and doc[j].tag_ not in ("WDT", "WP"))
            or all(doc[n].pos_ == "PROPN" for n in range(j, k))
        ):
            return t
        # '"...!" the presumptive nominee, Donald Trump, tweeted': a cue after a long subject. A quotation
        # ending in a comma is a sentence's object left open, so the verb whose subject follows it
        # attributes it whatever its lemma ('“...,” an angry Hollande retaliated').
        if (_is_cue(t) or open_clause) and (
            any(c.dep_ in SUBJECTS and j <= c.i < k and c.tag_ not in ("WDT", "WP") for c in t.children)
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
        speech = verb.lemma_.lower() in _MESSAGES or verb.lower_ in SPEECH_NOUNS
        if speech and verb.dep_ == "dobj" and verb.head.i < verb.i:
            # "Trump issued a statement, “...”", "When Trump used the words, “...”": the verb that issued or used
            # the words introduces them.
            verb = verb.head
        if verb.pos_ == "VERB" and verb.i < i and verb.lemma_ not in ("be", "have", "do"):
            if not _is_cue(verb) and verb.dep_ == "advcl" and _is_cue(verb.head) and verb.head.i < verb.i:
                return verb.head  # "Clinton said in the spring, when the story broke, “...”"
            return verb
        return None
    if i < 1 or doc[i].text != ":":
        return None
    head = doc[i].head
    if head.i > i:
        # "Clinton has since apologized for what happened: “Yes, I should have ...”": the parser hung the
        # colon, and the clause before it, on the quotation's words; the top of that clause introduces it.
        head = _clause_top(doc, i)
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:
        head = head.head
    if head.pos_ not in ("VERB", "AUX") or head.i > i or (head.lemma_ == "be" and not _is_cue(head)):
        return None
    return head


def _clause_top(doc: Doc, i: int) -> Token:
    """The highest token of the clause ending right before token `i`, climbing only through heads before
    `i` and within its paragraph."""
    t = doc[i - 1]
    while (
        t.head.i < i
        and t.head.i != t.i
        and not t.head.is_quote
        and "\n\n" not in text_of(doc)[t.head.idx : doc[i].idx]
    ):
        t = t.head
    return t


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
    i = before_quote(doc, a)
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
