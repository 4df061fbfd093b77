"""Hand-written "unseen" smoke set: realistic news comments the model was never trained on.

Written for this test (not drawn from any corpus or from model/victim_data), covering the four
kinds of comment a moderator sees most: sharp but civil criticism, abuse, identification of a
victim, and the hard negatives that look like identification but are not (officials, journalists,
offenders named with the court outcome, a commenter's own story). The assertions are about the
direction on clear cases -- held or not at the model's own threshold, and abuse ranked above
civil criticism -- so a change that breaks the model's behaviour on ordinary comments fails here.
The evidence detectors are checked directly (they are deterministic and need no training).
"""

from __future__ import annotations

import numpy as np
import pytest

from model.features import detect_victim
from model.normalize import normalize

CIVIL_CRITICAL = [
    "This paper is a joke, three days late with this story.",
    "The chief constable should resign in disgrace after this report.",
    "South Yorkshire Police are useless and corrupt, nothing has changed in twenty years.",
    "Absolutely shameful that nobody at the council has lost their job over this.",
    "The IOPC investigation was a whitewash and everyone knows it.",
    "Another review, another apology, and still no officer has faced a misconduct hearing.",
    "I've lost all faith in the force. They protect their own every time.",
    "Pathetic response from the Home Office, as usual.",
    "Why is the PCC still in post? She promised change in 2019 and delivered nothing.",
    "The sentencing was far too lenient, the judge got this badly wrong.",
]
ABUSIVE = [
    "You're a thick ignorant cunt and everyone on here knows it.",
    "Shut up you stupid bitch, nobody asked for your opinion.",
    "I know where you live, keep typing and see what happens to you.",
    "Go back to where you came from you dirty paki.",
    "Whoever wrote this is a brain dead moron, kill yourself.",
    "fuck off you pathetic little wanker",
    "Hope your kids get what those girls got, you nonce defending scum.",
    "u r a f u c k i n g 1d10t m8",
]
IDENTIFYING = [
    "Its the Parkinson girl from Brinsworth Comp, year 10, everyone at the school knows it was her.",
    "She works on the tills at the Asda in Parkgate, the one with the red hair. Poor lass.",
    "Her insta is @kayleigh_rmx if anyone wants to send her some support.",
    "The victim is his stepdaughter, she lives on Wharncliffe Road with her nan.",
    "Everyone on the Ferham estate knows it's Demi, she was only 14 when it started.",
    "Its jade from number 42 on Sycamore Close, she used to babysit for half the street.",
    "the lad they abused was in year 8 at Wath Academy, my cousin was in his form",
    "Search for Chloe Waring on facebook, that's her, the girl from the trial.",
]
HARD_NEGATIVE = [
    "My daughter is in year 9 and I worry about what the school teaches them about grooming.",
    "I was groomed at 13 on the Kimberworth estate and nobody believed me. Keep speaking up.",
    "Well done to Hannah Greenwood from the Star for sticking with this story for ten years.",
    "Reporter Tom Atkinson wrote a careful, responsible piece, thank you.",
    "Darren Whitworth was jailed for 18 years at Sheffield Crown Court. Not long enough.",
    "Mohammed Saleem and Craig Burns were convicted on all counts and sentenced to 14 years.",
    "Chief Constable Lauren Poultney said lessons had been learned. We have heard that before.",
    "DCI Mark Oughton led the inquiry and the force should have listened to him sooner.",
    "Girl A gave evidence for three days. Incredibly brave.",
    "The victims deserve better than another report that nobody reads.",
    "Jimmy Savile got away with it for decades, and nothing seems to have changed.",
    "As a mother of two girls in secondary school, this story terrifies me.",
]


@pytest.fixture(scope="module")
def probs(small_scorer):
    texts = CIVIL_CRITICAL + ABUSIVE + IDENTIFYING + HARD_NEGATIVE
    scores = small_scorer.score_batch(texts)
    out = {cat: {t: s.scores[cat] for t, s in zip(texts, scores, strict=True)}
           for cat in ("abuse", "victim_identification")}
    return out, small_scorer.thresholds


def test_identifying_comments_are_held(probs):
    p, thr = probs
    missed = [t for t in IDENTIFYING if p["victim_identification"][t] < thr["victim_identification"]]
    assert len(missed) <= 1, missed


def test_hard_negatives_are_mostly_not_held_for_identification(probs):
    p, thr = probs
    held = [t for t in HARD_NEGATIVE if p["victim_identification"][t] >= thr["victim_identification"]]
    assert len(held) <= 2, held
    # the parent's own story is the clearest case of all
    assert p["victim_identification"][HARD_NEGATIVE[0]] < thr["victim_identification"]


def test_identifying_ranked_above_hard_negatives(probs):
    p, _ = probs
    vi = p["victim_identification"]
    assert np.median([vi[t] for t in IDENTIFYING]) > np.max(
        [vi[t] for t in HARD_NEGATIVE[:1] + HARD_NEGATIVE[4:6] + HARD_NEGATIVE[8:11]])


def test_abuse_ranked_above_civil_criticism(probs):
    p, thr = probs
    ab = p["abuse"]
    abusive = np.array([ab[t] for t in ABUSIVE])
    civil = np.array([ab[t] for t in CIVIL_CRITICAL])
    # pairwise: an abusive comment outscores a civil-critical one far more often than not
    auc = float((abusive[:, None] > civil[None, :]).mean())
    assert auc >= 0.8, auc
    assert np.median(abusive) > np.median(civil)
    # clear-cut abuse (slurs, "kill yourself", profanity at someone) is held
    for t in (ABUSIVE[0], ABUSIVE[1], ABUSIVE[5]):
        assert ab[t] >= thr["abuse"], (t, ab[t])


def test_civil_comments_are_not_held_for_abuse_or_identification(probs):
    p, thr = probs
    held = [t for t in CIVIL_CRITICAL if p["abuse"][t] >= thr["abuse"]]
    assert len(held) <= 3, held
    vi_held = [t for t in CIVIL_CRITICAL if p["victim_identification"][t] >= thr["victim_identification"]]
    assert len(vi_held) <= 1, vi_held


def _spans(text):
    return {kind for _s, _e, kind in detect_victim(normalize(text)[0]).spans}


def test_detectors_do_not_report_negative_evidence_as_identifying():
    # own family: the year group is the commenter's own child's
    assert "school" not in _spans(HARD_NEGATIVE[0])
    # journalists (by-line or "from the Star") and offenders named with the court outcome
    for t in HARD_NEGATIVE[2:6]:
        assert "name" not in _spans(t), t
    # ... while a private person with a school is still reported
    assert {"name", "school"} <= _spans("Chloe Waring from year 9 at Wath Academy, everyone knows")


# Issue 14 section 4: one invented example per kind the model missed, and per hard negative
# (written for this test, not taken from the training rows). The detectors report the kind to
# moderators (`victim_identification: label_name + ...`) and feed the classifier.
def _vector(text):
    from model.features import FEATURE_NAMES
    return dict(zip(FEATURE_NAMES, detect_victim(normalize(text)[0]).vector, strict=True))


def test_a_name_put_to_a_court_label_is_reported():
    assert "label_name" in _spans("Complainant 6 = Ottilie Vandersloot, I heard it from the gallery")
    assert "label_name" in _spans("boy c is Caspian Mbeki, same club same age")
    # the label with only what the court said is not a name
    assert "label_name" not in _spans("Victim 2 was 12 when it started and Girl A gave evidence")


def test_a_handle_without_at_is_reported_and_a_domain_or_date_is_not():
    assert "handle" in _spans("her snap is wren.x.halloway.14 if you dont believe me")
    assert "handle" in _spans("shes on tiktok as mollyroo2011, same girl")
    assert "handle" not in _spans("Read it on gov.uk, section 4.2, published 12.05.15, e.g. page 3.")


def test_clubs_care_homes_and_routines_are_reported():
    club = _spans("It's the twin whose brother plays for Harthill Colts U15s.")
    assert {"affiliation", "routine"} <= club
    assert "routine" in _spans("the lad who trains at the gym on wednesdays, his dad waits outside")
    assert "affiliation" in _spans("The lady in the end room at Heronsgate care home.")


def test_own_child_and_court_named_offender_details_are_not_reported():
    assert not _spans("My son is in the under 12s and trains on Tuesdays, the club has been great.") & {
        "affiliation", "routine"}
    offender = "Maurice Dewhirst, 64, of Kingfisher Close, Aston, was jailed for nine years."
    assert "street" not in _spans(offender)
    assert _vector(offender)["offender_place"] or _vector(offender)["offender_name"]


def test_going_public_and_knowing_one_of_the_girls_are_negative_evidence():
    assert _vector("Huge respect to Philippa Garrow for waiving her anonymity on the radio.")[
        "went_public"]
    assert _vector("I knew one of the girls at the time, won't say more.")["vague_acquaintance"]


# Issue 14 section 4, second round: the kinds still held or missed out of fold (bench/vi_cv.py).
def test_a_label_then_a_comma_needs_a_name_after_it():
    assert "label_name" not in _spans("Witness C, wherever you are tonight, we believe you.")
    assert "label_name" in _spans("Witness C, Marisol Okafor, everyone at the stables knows")


def test_an_adult_named_with_age_and_home_is_the_defendant():
    # a court report's formula, with or without the outcome in the same sentence
    v = _vector("Desmond Frayne, 59, of Mill Brow, Kirkby. He ran the choir for twenty years.")
    assert v["offender_name"]
    fined = "The man who supplied the drink, Royston Peel, 41, of Abbey Lane, Selby, was fined."
    assert _vector(fined)["offender_name"] and "street" not in _spans(fined)
    # a child's age is not the formula
    assert not _vector("Everyone says it's Kiera Dunmore, 13, of Mill Brow.")["offender_name"]


def test_more_ways_of_knowing_one_of_them_and_of_going_public():
    assert _vector("I was at school with one of the complainants, decent lad.")["vague_acquaintance"]
    assert _vector("one of the boys was in my sister's year, that's all")["vague_acquaintance"]
    assert _vector("Ilse Warrender's podcast about her own assault changed minds.")["went_public"]


def test_our_children_and_my_twins_are_the_commenters_own():
    assert "affiliation" not in _spans("our daughter swims at Hexley ASC on Saturdays")
    assert not _spans("my twins are in Year 7 at Ravenhill Academy") & {"school"}


def test_a_dotted_handle_beside_a_gaming_platform_is_reported():
    assert "handle" in _spans("his discord is wolfie.ngl and he posts about the coach")


def test_more_court_labels_are_anonymised_labels():
    for t in ("Resident X could not give evidence", "yp1 and yp2 in the review", "Girl K and Girl L",
              "Student C gave evidence on the second day"):
        assert _vector(t)["anonymised"], t
    assert not _vector("the girl i saw at the bus stop")["anonymised"]
    # an adult's name, age and job then home: the defendant
    court = "The court heard Gareth Beddis, 29, unemployed, of Weston Road, Stafford."
    assert _vector(court)["offender_name"]


# Issue 14 section 4, third round (fresh set #2 retired into training): the kinds still held or
# missed out of fold. Invented examples, written for this test.
def test_a_reporter_at_a_town_paper_or_named_by_the_outlet_is_a_journalist():
    for t in ("Praise for Odile Farrant at the Kendal Courier, careful work all week.",
              "I hear Ines Ostrowski from Cumbria Live sat through every day of it.",
              "The Northern Echo's Tamsin Greaves has been on this for years.",
              "columnist Bernice Okoro got it right for once"):
        v = _vector(t)
        assert v["official_name"], t
        assert "name" not in _spans(t), t
    # a post office is a place, not an outlet
    assert not _vector("Linnea Strand from the post office on Mill Road")["official_name"]


def test_my_two_and_foster_children_are_the_commenters_own():
    assert not _spans("my two boys train at Hexley Judo on Mondays, both fine") & {"affiliation", "routine"}
    assert _vector("our foster daughter is doing well")["own_family"]
    assert not _vector("just my two cents, but the club should have known")["own_family"]


def test_a_label_far_from_its_name_and_new_label_words_are_label_names():
    assert "label_name" in _spans("Gymnast B is Linnea Strand, everyone at the club knows")
    assert "label_name" in _spans("Child M = Rufus, it was on the first draft of the judgment")
    assert "label_name" in _spans("Pupil 4 goes by Tiggy at school")
    assert "label_name" in _spans("Witness D in the papers is Wilf Ostler from the allotments")
    # the label, and only what the court printed about it, is not a name
    assert "label_name" not in _spans("Witness D in the trial was twelve and is doing well now")
    assert _vector("Swimmer C gave her evidence by video link")["anonymised"]


def test_an_anonymised_labels_own_family_and_details_are_the_labels():
    v = _vector("Resident 3 had her sister beside her the whole time, said the usher")
    assert v["anonymised"] and v["anon_x_relative"]
    assert _vector("Complainant 7, a boy aged 10, told a dinner lady")["anon_x_detail"]


def test_first_names_beyond_the_old_list_are_names():
    assert "name" in _spans("Everyone at the rink knows it was Tadhg Merriweather")
    assert "name" in _spans("So proud of you, Ezekiel. You did nothing wrong.")
    # a name that is also a word counts only as a capital mid-sentence
    assert "name" not in _spans("the hazel trees by the pond were cut down")
