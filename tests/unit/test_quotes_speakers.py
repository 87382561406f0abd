"""Speaker attribution where spaCy's parse of the attribution goes astray, on invented sentences."""

from __future__ import annotations

import dataclasses
from typing import Any

from spacy.tokens import Doc

from streams.enrichment.entities import extract_entities
from streams.enrichment.quotes import extract_quotes
from streams.enrichment.quotes.speakers import _speaker_token
from tests.unit.test_quotes import _parse


def _speakers(nlp: Any, paragraphs: list[str]) -> list[tuple[str | None, str | None]]:
    """(cue, speaker name) of every quote of a plain article made of `paragraphs`."""
    parsed = _parse(nlp, paragraphs)
    quotes = extract_quotes(parsed, extract_entities(parsed))
    return [(q.cue, q.speaker.name if q.speaker else None) for q in quotes]


def test_a_cue_added_to_a_reported_clause_continues_the_reporters_speech(nlp: Any) -> None:
    # "added" hangs on "was" (what Ruiz said), whose subject "it" names no one.
    paragraphs = [
        "Ana Ruiz spoke on Monday.",
        "Ana Ruiz said it was too early to celebrate but added, “We expect good results tonight.”",
    ]
    assert _speakers(nlp, paragraphs) == [("added", "Ana Ruiz")]


def test_a_message_introduced_by_a_relative_pronoun_speaks_for_its_issuer(nlp: Any) -> None:
    paragraphs = [
        "Carl Dunne is the mayor.",
        "In selling the plan, Carl Dunne released a video that said, “We are going to rebuild every bridge"
        " in this city.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Carl Dunne")]


def test_a_cue_the_parser_hangs_on_the_quotation_takes_the_subject_before_it(nlp: Any) -> None:
    paragraphs = [
        "Jane Cole visited Ohio.",
        "Jane Cole seemed to be ready to joke about the incident in Ohio, telling the crowd, “Some people get a"
        " little carried away, have you noticed that?”",
    ]
    assert _speakers(nlp, paragraphs) == [("telling", "Jane Cole")]


def test_an_inverted_subject_is_never_a_word_of_the_next_quotation(nlp: Any) -> None:
    paragraphs = [
        "Paul Brandt writes a column.",
        "Brandt needled the council “experts,” saying, “An expert who votes on request!”",
    ]
    assert _speakers(nlp, paragraphs) == [("saying", "Paul Brandt")]


def test_an_inverted_subject_is_the_name_in_the_phrase(nlp: Any) -> None:
    paragraphs = [
        "Lena Marsh runs the campaign.",
        "“Imagine Lena going up against both of them on the same stage,” mused Blaze co-host Lena Marsh.",
    ]
    assert _speakers(nlp, paragraphs) == [("mused", "Lena Marsh")]


def test_as_someone_put_it(nlp: Any) -> None:
    paragraphs = [
        "Tom Haley teaches law.",
        "As Tom Haley, professor of law at Yale and author of ''The Quiet Court,'' put it, ''Senate Republicans"
        " should remember that a deal today may be far better for them.''",
    ]
    assert _speakers(nlp, paragraphs) == [("put", "Tom Haley")]


def test_a_cue_loosely_attached_to_an_earlier_verb_shares_its_subject(nlp: Any) -> None:
    paragraphs = [
        "Ray Stone met the press.",
        "Ray Stone gestured as if to stop the noise, then leaned in and boomed: “Let’s defeat her in November.”",
    ]
    assert _speakers(nlp, paragraphs) == [("boomed", "Ray Stone")]


def test_an_office_speaks_for_the_person_it_belongs_to(nlp: Any) -> None:
    paragraphs = [
        "Paul Dorsey leads the House.",
        "“We look forward to the discussion on Thursday,” Dorsey’s office said in a statement.",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Paul Dorsey")]


def test_a_surname_the_tagger_reads_as_a_word(nlp: Any) -> None:
    # "Will" is tagged as the auxiliary verb, so "wrote" has no subject.
    paragraphs = [
        "The columnist George Will has long opposed Mr. Keane.",
        "“This might, and should, hasten the eclipse of Tom Keane,” Will wrote.",
    ]
    assert _speakers(nlp, paragraphs) == [("wrote", "George Will")]


def test_a_label_after_another_quotation(nlp: Any) -> None:
    paragraphs = [
        "Rep. Ted Mott and Ann Gray spoke.",
        "Gray: “Our goal is to win.” Mott: “Our goal is to win by more.”",
    ]
    assert _speakers(nlp, paragraphs) == [(":", "Ann Gray"), (":", "Ted Mott")]


def test_a_cue_closing_the_sentence_before_the_quote(nlp: Any) -> None:
    paragraphs = [
        "Sam Lau works for the party.",
        "Sam Lau, the communications director for the party, said in a statement. “There are no paper ballots"
        " to recount.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Sam Lau")]


def test_a_name_the_tagger_calls_a_verb_before_the_cue(nlp: Any) -> None:
    paragraphs = [
        "Donald Trump and Jeb Bush sparred.",
        '"Jeb wants to be a tough guy tonight," Trump shot back. "Let me talk."',
    ]
    assert _speakers(nlp, paragraphs) == [("shot", "Donald Trump"), ("shot", "Donald Trump")]


def test_a_cue_after_a_long_subject_phrase(nlp: Any) -> None:
    paragraphs = [
        "Ned Fox is the nominee.",
        '"Will the mayor finally resign? If he doesn\'t, he should go in disgrace!" the presumptive Republican'
        " nominee, Ned Fox, tweeted Sunday after the attack.",
    ]
    assert _speakers(nlp, paragraphs) == [("tweeted", "Ned Fox")]


def test_a_caption_speaks_for_whoever_added_it(nlp: Any) -> None:
    paragraphs = [
        "Ed Henry covers the campaign.",
        "Henry added the caption which reads, “The aide told me the photo breaks the debate rules.”",
    ]
    assert _speakers(nlp, paragraphs) == [("reads", "Ed Henry")]


def test_the_person_named_right_after_the_quote_before_a_long_aside(nlp: Any) -> None:
    paragraphs = [
        "Bill Eastland came from Texas.",
        "“We’ve had more successful conventions than this one,” Texas delegate Bill Eastland, wearing a cowboy"
        " hat and “Lone Star” campaign pins, said matter-of-factly as confetti fluttered down.",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Bill Eastland")]


def test_a_participle_opening_its_sentence_continues_the_previous_speaker(nlp: Any) -> None:
    paragraphs = [
        "Bill Maher hosts the show.",
        "Later in the show, Maher stated of the scandal that the report “wasn’t good.” Adding, “Now, like with"
        " all of these scandals, what they actually do is never that bad.”",
    ]
    assert _speakers(nlp, paragraphs) == [("stated", "Bill Maher"), ("Adding", "Bill Maher")]


def test_an_attribution_after_the_quote_beats_a_verb_before_its_colon(nlp: Any) -> None:
    paragraphs = [
        "Jake Sullivan advised her.",
        "Sullivan responded by explaining it was impossible to send her the information she wanted because it"
        " was stuck in State’s classified system: “Trust me, I share your exasperation. But until ops converts"
        " it to the unclassified system, there is no way for me to email it,” Sullivan wrote.",
    ]
    assert _speakers(nlp, paragraphs) == [("wrote", "Jake Sullivan")]


def test_issuing_a_statement_before_a_comma_introduces_the_quote(nlp: Any) -> None:
    paragraphs = [
        "Donald Trump spoke after the attack.",
        "Immediately after the attacks, Trump issued a statement, “Last night, our nation was attacked by a"
        " radical terrorist.”",
    ]
    assert _speakers(nlp, paragraphs) == [("issued", "Donald Trump")]


def test_a_clause_between_the_cue_and_its_comma_is_not_the_cue(nlp: Any) -> None:
    paragraphs = [
        "Hillary Clinton spoke about the server.",
        "Clinton initially said in the spring, when the private server email story broke, “I did not email any"
        " classified material to anyone.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Hillary Clinton")]


def test_a_relative_clause_in_the_name_phrase_is_not_the_speaker(nlp: Any) -> None:
    # "who founded" is the nearest subject before the cue; it only describes the guru.
    paragraphs = [
        "Nate Silver runs a polling site.",
        "“Clinton needs a strategy for targeting [Libertarian candidate Gary] Johnson voters,” Nate Silver, the"
        " polling guru who founded the site tweeted on Wednesday.",
    ]
    assert _speakers(nlp, paragraphs) == [("tweeted", "Nate Silver")]


def test_a_cue_parsed_as_the_subject_of_the_quotation(nlp: Any) -> None:
    paragraphs = [
        "Flea plays bass in the band.",
        "Band member Flea shared the news on social media last week, writing “Feels great to support someone I"
        " believe in.”",
    ]
    assert _speakers(nlp, paragraphs) == [("writing", "Flea")]


def test_footage_of_someone_speaking(nlp: Any) -> None:
    paragraphs = [
        "Hillary Clinton has a new ad.",
        "The ad uses footage of Hillary Clinton asking, “Why aren’t I 50 points ahead, you might ask?”",
    ]
    assert _speakers(nlp, paragraphs) == [("asking", "Hillary Clinton")]


def test_a_number_beside_the_name_is_no_second_subject(nlp: Any) -> None:
    # A hand-built parse: "Isaiah 45:1 reads:" with both words as subjects of "reads".
    doc = Doc(
        nlp.vocab,
        words=["Isaiah", "45:1", "reads", ":"],
        heads=[2, 2, 2, 2],
        deps=["nsubj", "nsubj", "ROOT", "punct"],
        pos=["PROPN", "NUM", "VERB", "PUNCT"],
    )
    who = _speaker_token(doc[2])
    assert who is not None and who.text == "Isaiah"


def test_a_person_named_by_a_participle(nlp: Any) -> None:
    paragraphs = [
        "Eric Kingson is running for Congress.",
        "The senator was rallying for a 70-year-old academic named Eric Kingson, who is running for Congress and"
        ' who worked the crowd, praising "Bernie\'s genuineness and indisputable integrity" as he promised to'
        " defend Social Security.",
    ]
    assert _speakers(nlp, paragraphs) == [("praising", "Eric Kingson")]


def test_a_man_calling_himself_by_a_name(nlp: Any) -> None:
    paragraphs = [
        "Readers were angry.",
        "The response was fast and fierce. ''Whoever opens the borders has no place pretending here!'' wrote a"
        " man calling himself Paul Paul.",
    ]
    assert _speakers(nlp, paragraphs) == [("wrote", "Paul Paul")]


def test_a_cue_before_an_adverbial_phrase_and_comma(nlp: Any) -> None:
    paragraphs = [
        "Maria Lopez has a new ad.",
        "The spot concludes with footage of Maria Lopez saying during the debate last week, “That makes me"
        " smart,” when her rival blasted her.",
    ]
    assert _speakers(nlp, paragraphs) == [("saying", "Maria Lopez")]


def test_climbing_to_another_cue_takes_the_subject_nearest_the_first(nlp: Any) -> None:
    # A hand-built misparse: the first "says" hangs on a later "says" that holds both subjects.
    doc = Doc(
        nlp.vocab,
        words=["says", "Gutin", ",", "and", "Anthony", "says"],
        heads=[5, 5, 5, 5, 5, 5],
        deps=["ccomp", "nsubj", "punct", "cc", "nsubj", "ROOT"],
        pos=["VERB", "PROPN", "PUNCT", "CCONJ", "PROPN", "VERB"],
    )
    who = _speaker_token(doc[0])
    assert who is not None and who.text == "Gutin"


def test_and_i_quote_is_the_writer_quoting_the_speaker(nlp: Any) -> None:
    paragraphs = [
        "Donald Trump spoke in Nevada.",
        'No wonder Trump said, and I quote, "We love the poorly educated." He is treating his supporters as fools.',
    ]
    assert _speakers(nlp, paragraphs) == [("quote", "Donald Trump")]


def test_a_cue_word_opening_a_label(nlp: Any) -> None:
    paragraphs = [
        "Roger Stone and Paul Manafort spoke to us.",
        "“The big city machines are very adept at manipulating these machines,” Manafort said.",
        "Continued Stone: “So I think it’s a very real problem. And the single best thing they can do is to"
        " register new voters.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Paul Manafort"), (":", "Roger Stone")]


def test_the_attribution_right_after_the_quote_beats_a_later_cue(nlp: Any) -> None:
    paragraphs = [
        "Becky Quick and Donald Trump sparred.",
        '"I never said that. I never said that," Trump said, after CNBC\'s Becky Quick said the billionaire had'
        ' derisively referred to Sen. Marco Rubio as the "personal senator" of a mogul.',
    ]
    assert _speakers(nlp, paragraphs)[0] == ("said", "Donald Trump")


def test_a_surname_shared_with_a_possessive_mention_still_names_the_person(nlp: Any) -> None:
    # The entity stage keeps "George Will’s" apart from "George Will", so "Will" names two entities.
    paragraphs = [
        "Columnist George Will wrote an op-ed.",
        "George Will’s column targeted Tom Keane.",
        "“This might, and should, hasten the eclipse of Tom Keane,” Will wrote.",
    ]
    assert _speakers(nlp, paragraphs) == [("wrote", "George Will")]


def test_a_quotation_between_dashes_after_a_name(nlp: Any) -> None:
    paragraphs = [
        "Mitt Romney and Fred Goldberg agree.",
        "A chorus of prominent Republicans has said the same thing, including the former presidential candidate"
        " Mitt Romney -- ''It is disqualifying for a nominee to refuse to release tax returns to the voters'' --"
        " and Fred Goldberg.",
    ]
    assert _speakers(nlp, paragraphs) == [("--", "Mitt Romney")]


def test_someone_shown_speaking_in_a_passive_clause(nlp: Any) -> None:
    paragraphs = [
        "The video opens with Omar Hadid.",
        "The cleric Omar Hadid is shown lecturing: “Muslims of the West, take heed and learn from the lessons of"
        " history.”",
    ]
    assert _speakers(nlp, paragraphs) == [("lecturing", "Omar Hadid")]


def test_according_to_a_document_filed_by_someone(nlp: Any) -> None:
    paragraphs = [
        "Dave Aronberg is the state attorney.",
        "“The evidence is insufficient to support a criminal prosecution,” according to a court document filed by"
        " state attorney Dave Aronberg.",
    ]
    assert _speakers(nlp, paragraphs) == [("according to", "Dave Aronberg")]


def test_a_quote_mark_glued_to_the_cue_or_the_name_is_still_seen(nlp: Any) -> None:
    # No space between the comma, the mark and the words: the tokenizer must split them apart.
    paragraphs = [
        "Ana Ruiz and Carl Dunne spoke on Monday.",
        "Ana Ruiz said,“We expect good results tonight.”",
        "“The count is not over yet,”Dunne said.",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Ana Ruiz"), ("said", "Carl Dunne")]


def test_glued_marks_are_split_but_abbreviations_and_inch_marks_are_kept(nlp: Any) -> None:
    words = [t.text for t in nlp.make_doc('He said."We left the U.S."The man is 6\'2" tall.')]
    assert words[:5] == ["He", "said", ".", '"', "We"]
    assert "U.S." in words
    assert "6'2" in words


def test_a_name_label_with_a_party_and_state_in_parentheses(nlp: Any) -> None:
    paragraphs = [
        "Ana Ruiz questioned the minister on Monday.",
        'Rep. Ana Ruiz (D-Texas):"Who told you that the figures were right?"',
    ]
    assert _speakers(nlp, paragraphs) == [(":", "Ana Ruiz")]


def test_a_verb_whose_subject_follows_a_comma_ended_quote_attributes_it(nlp: Any) -> None:
    # "retaliated" is no speech verb, but the quote ends in a comma and the clause after it has a subject:
    # it is this quote's attribution, not a quote continuing the previous speaker.
    paragraphs = [
        "Ana Ruiz and Carl Dunne clashed on Monday.",
        "“We have won this race,” Ana Ruiz said.",
        "“The count is not over yet,” an angry Carl Dunne retaliated.",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Ana Ruiz"), ("retaliated", "Carl Dunne")]


def test_a_name_label_after_a_title_with_of(nlp: Any) -> None:
    paragraphs = [
        "Ana Ruiz testified on Monday.",
        "Former secretary of state Ana Ruiz: “We learned that from the department and its own review.”",
    ]
    assert _speakers(nlp, paragraphs) == [(":", "Ana Ruiz")]


def test_a_dash_and_name_opening_the_next_paragraph_signs_the_quote(nlp: Any) -> None:
    paragraphs = [
        "Delegates Ana Ruiz and Carl Dunne spoke on the convention floor.",
        '"The whole idea of a rigged vote is something that we hear about all the time, and it needs to stop."',
        "-Ana Ruiz, Philadelphia.",
        '"We came here to win this state, and we will."',
        "— Carl Dunne, delegate from Ohio.",
    ]
    first, second = (who for _, who in _speakers(nlp, paragraphs))
    # The tagger reads the glued "-Ana" as punctuation, so the entity stage may know her only as "Ruiz".
    assert first in ("Ana Ruiz", "Ruiz")
    assert second == "Carl Dunne"


def test_a_title_in_marks_before_a_relative_clause_is_not_attributed(nlp: Any) -> None:
    # The series' name ends in a comma, but "that first aired" describes the series: no one said it.
    paragraphs = ["“Tales From the Crypt,” a television series that first aired in 1989, will return."]
    assert _speakers(nlp, paragraphs) == []


def test_a_message_speaks_for_its_possessor(nlp: Any) -> None:
    paragraphs = [
        "Nora Vance chairs the panel.",
        "Vance’s letter said, “Every family deserves a safe home and a fair rent.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Nora Vance")]


def test_an_inverted_cue_finds_the_name_behind_a_title_word_read_as_a_verb(nlp: Any) -> None:
    # "ranking" is tagged a verb, so the name hangs on it rather than on "said"; the entity stage may miss
    # the name, and a party word before it is no part of it.
    paragraphs = [
        "“They are wasting the money of every taxpayer in this country,” said Oversight ranking Democrat"
        " Elijah Cummings (D-Md.).",
    ]
    speakers = _speakers(nlp, paragraphs)
    assert len(speakers) == 1 and speakers[0][1] is not None
    assert speakers[0][1].split()[-1] == "Cummings" and "Democrat" not in speakers[0][1]


def test_a_quote_opening_the_next_paragraph_continues_a_long_attribution(nlp: Any) -> None:
    paragraphs = [
        "“That night changed something for everyone in our community,” said Rev. Karl Odom, then senior pastor"
        " at Grace Baptist Church in Fort Worth, Texas.",
        "“The minute it became possible, people believed it could happen here too.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Karl Odom"), ("said", "Karl Odom")]


def test_someones_response_was_presents_their_words(nlp: Any) -> None:
    paragraphs = [
        "Tom Reyes, an aide, emailed Maria Lopez about the delay.",
        "Maria Lopez’s response was: “Why did nobody tell me sooner?”",
    ]
    assert _speakers(nlp, paragraphs) == [("was", "Maria Lopez")]


def test_a_campaign_slogan_speaks_for_its_owner(nlp: Any) -> None:
    paragraphs = [
        "Greta Holm is running for mayor.",
        "Greta Holm’s campaign slogan is “Fix the roads first.”",
    ]
    assert _speakers(nlp, paragraphs) == [("is", "Greta Holm")]


def test_a_headline_that_opens_with_a_name_attributes_the_quote_after_its_colon(nlp: Any) -> None:
    paragraphs = [
        "Sarah Lindqvist scolds council members: 'You're being ridiculous.'",
        "The comedian Sarah Lindqvist spoke at the council meeting on Monday night.",
    ]
    assert _speakers(nlp, paragraphs)[0] == (":", "Sarah Lindqvist")


def test_a_headline_colon_after_a_sentence_is_not_a_label(nlp: Any) -> None:
    paragraphs = [
        "Sarah Lindqvist spoke at length. The council answered: 'We will vote on Friday.'",
        "Sarah Lindqvist is a comedian.",
    ]
    assert _speakers(nlp, paragraphs)[0][1] != "Sarah Lindqvist"


def test_an_inverted_cue_right_after_the_quote_wins_over_a_verb_before_it(nlp: Any) -> None:
    paragraphs = [
        "Anita Dunn is a partner at a communications firm.",
        "Moscow strongly denies it — “why wouldn’t you want to raise the stakes?” asked Dunn, now a partner at"
        " the firm.",
    ]
    assert _speakers(nlp, paragraphs) == [("asked", "Anita Dunn")]


def test_the_sentence_after_a_quote_can_name_whose_words_they_were(nlp: Any) -> None:
    paragraphs = [
        "“I would rather lose the vote than lose my voice.” That quote from state senator Helen Brandt appeared"
        " on the front page in 1980.",
    ]
    speakers = _speakers(nlp, paragraphs)
    assert [s[0] for s in speakers] == ["quote"]
    assert speakers[0][1] is not None and speakers[0][1].endswith("Helen Brandt")


def test_an_attribution_with_a_long_subject_after_the_quote_wins_over_a_colon_verb(nlp: Any) -> None:
    paragraphs = [
        "Very small. But it may have an impact that has so far been ignored: “We believe the bashing from both"
        " parties will lead to targeted policies for regional banks,” Ivo Marsh, an analyst at Northgate"
        " Research, wrote in a note to investors.",
    ]
    assert _speakers(nlp, paragraphs) == [("wrote", "Ivo Marsh")]


def test_in_someones_view_after_the_quote_names_the_speaker(nlp: Any) -> None:
    paragraphs = [
        "John Bolton spoke at the forum.",
        "“This is not a problem you can fix with one or two things – it is an across-the-board failure” from"
        " diplomacy to the defense budget, in Bolton’s view.",
    ]
    assert _speakers(nlp, paragraphs) == [("view", "John Bolton")]


def test_a_quote_opening_a_paragraph_continues_the_attribution_that_closed_the_one_before(nlp: Any) -> None:
    paragraphs = [
        "Minnesota delegate Mary Susan wore a red cape.",
        "Her friends have mocked the campaign, calling the candidate “an orange buffoon,” Susan said as she"
        " turned around.",
        "“But he’s our orange buffoon, and we love him!”",
    ]
    assert _speakers(nlp, paragraphs)[-1] == ("said", "Mary Susan")


def test_a_quote_set_between_dashes_after_a_clause_is_its_subjects(nlp: Any) -> None:
    paragraphs = [
        "Donald Trump spoke for an hour.",
        "When Trump finally wrapped up — “I will fight for you, and I will win for you!” — the balloons"
        " cascaded down on the crowd.",
    ]
    assert _speakers(nlp, paragraphs) == [("—", "Donald Trump")]


def test_a_colon_the_parser_hangs_on_the_quotation_still_ends_the_introducing_clause(nlp: Any) -> None:
    paragraphs = [
        "Maria Lopez ran the agency for six years.",
        "Lopez has since apologized for what happened: “Yes, I should have used two phones, one for my family"
        " and one for my work. Not doing so was a mistake.”",
    ]
    assert _speakers(nlp, paragraphs) == [("apologized", "Maria Lopez")]


def test_a_cue_with_words_of_its_own_after_the_quote_is_a_new_statement(nlp: Any) -> None:
    paragraphs = [
        "Tom Arne coaches the team.",
        "Arne lost his temper in the final in Oslo: “Get up and run!” Fans still recall his fury at the referee.",
    ]
    assert _speakers(nlp, paragraphs) == [("lost", "Tom Arne")]


def test_a_clause_presenting_a_person_before_a_colon_gives_them_the_quote(nlp: Any) -> None:
    here = [
        "Dana Whitcomb ran the library board for a decade.",
        "Here’s Whitcomb at the town meeting last spring: “We will not close the library while I sit on this"
        " board.”",
    ]
    assert _speakers(nlp, here) == [(":", "Dana Whitcomb")]
    more = [
        "Pollsters Ravi Patel and Ama Osei looked at the caucus data.",
        "Turnout was the story all along -More from Patel and Osei: “Our data show a late shift among younger"
        " voters.”",
    ]
    assert _speakers(nlp, more) == [(":", "Ama Osei")]
    post = [
        "Lena Ortega is running for the county board.",
        "Supporters say she will win easily. From Ortega’s Facebook post: “We will keep the clinic open, whatever"
        " it costs.”",
    ]
    assert _speakers(nlp, post) == [(":", "Lena Ortega")]


def test_a_name_set_off_by_commas_says_who_a_described_subject_is(nlp: Any) -> None:
    # The parser hangs "Jo Marsh" on "Tulane", and "Owen Price" on the relative clause; Leo Hart is also a
    # "best friend" of the article, so a match by role alone would pick him.
    friend = [
        "Tom Reyes grew up in Texas. His best friend from the army, Leo Hart, still calls him.",
        "“It was his way of saying no to his father,” said his best friend at Tulane, Jo Marsh, who like others"
        " remembered it.",
    ]
    assert _speakers(nlp, friend) == [("said", "Jo Marsh")]
    clerk = [
        "Owen Price covered the council for years.",
        "The clerk I was standing next to, Owen Price, cut me off halfway through a question to announce, “That"
        " is the end of the session.”",
    ]
    assert _speakers(nlp, clerk) == [("announce", "Owen Price")]


def test_a_name_the_tagger_takes_for_the_missing_verb_is_the_speaker(nlp: Any) -> None:
    # The writer dropped the verb: "Stamp from his desk" has none, and the tagger makes "Stamp" one.
    paragraphs = [
        "Ned Stamp ran for mayor in the spring.",
        "“They are coming over the river now, just like I said. We don't know who they are,” Stamp from his"
        " desk. “Could be anyone. We need a new sheriff.”",
    ]
    assert [s[1] for s in _speakers(nlp, paragraphs)] == ["Ned Stamp", "Ned Stamp"]


def test_a_name_right_before_a_verb_the_parse_left_without_subject_is_its_subject(nlp: Any) -> None:
    paragraphs = [
        "Gary Lund and his daughter Mia Lund went to the rally.",
        "The day before, at a rally in Dover, Del., 12-year-old Mia Lund hoisted a sign that read “Vote for"
        " Hope!” Her father worried about the crowd.",
    ]
    assert _speakers(nlp, paragraphs) == [("read", "Mia Lund")]


def test_a_name_before_an_aside_is_the_subject_of_a_verb_left_without_one(nlp: Any) -> None:
    paragraphs = [
        "Ruth Vance runs the county.",
        "The issue had come up on Monday after Ms. Vance, asked about the closing of the mill, had said, “We will"
        " find those workers new jobs.”",
    ]
    assert _speakers(nlp, paragraphs) == [("said", "Ruth Vance")]


def test_a_surname_finds_a_full_name_the_entity_stage_typed_an_organisation(nlp: Any) -> None:
    # The tagger reads "Mills" as a plural noun; the entity stage is made to type "Dora Mills" an ORG, as
    # spaCy does for some names.
    parsed = _parse(
        nlp,
        [
            "Mills and Ortiz argued by email all week, and Dora Mills kept every note.",
            "Ortiz answers Mills with, “Not today?” Mills then writes back, “Try tomorrow, then.”",
        ],
    )
    entities = [
        dataclasses.replace(e, type="ORG") if e.name == "Dora Mills" else e for e in extract_entities(parsed)
    ]
    quotes = extract_quotes(parsed, entities)
    assert [(q.cue, q.speaker.name if q.speaker else None) for q in quotes][-1] == ("writes", "Dora Mills")


def test_a_short_phrase_opening_its_sentence_before_an_inverted_cue_and_a_name_is_speech(nlp: Any) -> None:
    parsed = _parse(
        nlp,
        [
            "Senator Ana Lopez debated Mayor Tom Smith on Friday.",
            "\"Forum recap,\" tweeted Lopez aide Tara Quinn. \"Smith: 'I remember the old days.' Lopez: 'I look"
            " ahead.'\"",
        ],
    )
    entities = extract_entities(parsed)
    doc = parsed.doc
    end = next(t.i for t in doc if t.text == "Quinn") + 2  # the last of each word up to "Quinn."
    w = {t.text: t for t in doc[:end] if t.text in ("recap", "Quinn", "tweeted", "aide", "Lopez", ".")}
    # The parse met in newspaper text: the phrase in marks is the root, "tweeted" a modifier of the title.
    w["recap"].head, w["recap"].dep_ = w["recap"], "ROOT"
    w["Quinn"].head, w["Quinn"].dep_ = w["recap"], "appos"
    w["tweeted"].head, w["tweeted"].dep_ = w["aide"], "amod"
    w["Lopez"].pos_, w["Lopez"].tag_, w["Lopez"].dep_ = "PROPN", "NNP", "compound"
    w["."].head = w["recap"]
    parsed.doc.user_data.pop("newsstreams.sentences", None)
    quotes = extract_quotes(parsed, entities)
    assert (quotes[0].text, quotes[0].cue) == ("Forum recap,", "tweeted")
    # The quotation after it goes on in the same voice.
    assert [q.speaker.name if q.speaker else None for q in quotes] == ["Tara Quinn", "Tara Quinn"]


def test_after_an_inverted_cue_the_name_after_a_title_is_the_speaker(nlp: Any) -> None:
    paragraphs = [
        "Senator Ana Lopez debated Mayor Tom Smith on Friday.",
        "“Not even close,” tweeted Lopez spokesman Tara Quinn after the debate.",
    ]
    assert _speakers(nlp, paragraphs) == [("tweeted", "Tara Quinn")]


def test_the_person_a_non_speech_verb_names_right_before_the_colon_speaks(nlp: Any) -> None:
    paragraphs = [
        "Leon Batts runs the mayor's campaign.",
        "The size of the crowd did not surprise campaign manager Leon Batts: “People have been waiting for this"
        " for years.”",
    ]
    assert _speakers(nlp, paragraphs) == [("surprise", "Leon Batts")]


def test_whoever_used_the_words_before_a_comma_said_them(nlp: Any) -> None:
    paragraphs = [
        "Ines Roth is the mayor. Carl Wendt is the governor.",
        "When Roth used the words, “We are not ready yet,” she was echoing Wendt, who used the same words when"
        " asked in May about the budget.",
    ]
    [(cue, speaker)] = _speakers(nlp, paragraphs)
    assert cue == "used" and speaker is not None and speaker.endswith("Roth")


def test_a_quotation_signed_with_a_name_and_affiliation_is_that_persons(nlp: Any) -> None:
    parsed = _parse(
        nlp,
        [
            "Economists were split on the plan.",
            '"We cannot keep borrowing against the future, and voters know it. Mara Ellis, Institute for Fiscal'
            ' Studies."',
            "The vote is on Friday.",
        ],
    )
    [q] = extract_quotes(parsed, extract_entities(parsed))
    assert q.speaker is not None and q.speaker.name == "Mara Ellis"
    # The signature is no part of what she said.
    assert q.text == "We cannot keep borrowing against the future, and voters know it."
