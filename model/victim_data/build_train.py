#!/usr/bin/env python3
"""Build model/victim_data/train.jsonl for the victim_identification classifier.

Deterministic and stdlib-only.  Running

    python3 model/victim_data/build_train.py            # writes train.jsonl
    python3 model/victim_data/build_train.py --stats    # also prints counts

regenerates train.jsonl byte-for-byte.

Rows come from three sources:

1. handwritten_train.txt -- the hand-written majority (see the header of that
   file for its format).  Add new examples there.
2. A small gazetteer-driven generator (FRAMES below): hand-written sentence
   frames with slots for INVENTED first names, surnames, streets, estates,
   schools, workplaces and ages, plus real UK towns/villages.  The generator is
   capped so that it never produces more than MAX_GENERATED_SHARE of the
   hand-written + generated rows.
3. train_<origin>.jsonl -- retired held-out sets by other authors (e.g.
   train_fresh1.jsonl: fresh set #1 after its one release measurement), in the
   held-out files' JSON-lines schema.  Other authors' styles teach what our own
   rows cannot; each such row keeps an "origin" naming its file.

This script never reads heldout*.jsonl (held-out sets are written
independently by other authors and must stay unseen by training).

Labels and case codes are defined in docs/LABELLING_GUIDELINE.md.
"""
import glob
import json
import os
import random
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
HANDWRITTEN = os.path.join(HERE, "handwritten_train.txt")
OUT = os.path.join(HERE, "train.jsonl")
# retired held-out sets of other authors; never heldout*.jsonl (see model.corpora.heldout_files)
OTHER_AUTHORS_GLOB = "train_*.jsonl"
SEED = 20231123
MAX_GENERATED_SHARE = 0.35

# ---------------------------------------------------------------------------
# Label vocabulary
# ---------------------------------------------------------------------------
POSITIVE_CASES = [
    "name", "nickname", "handle", "profile_link", "address", "street_estate",
    "school", "year_group", "workplace", "relative", "age_place", "photo",
    "community_knowledge", "combined",
    # issue 14 section 4: kinds the model missed
    "label_name", "bare_handle", "role_routine",
]
HARD_NEGATIVE_CASES = [
    "official", "officer", "journalist", "convicted_offender",
    "self_disclosure", "generic_victims", "anonymised_label",
    "historical_case", "place_only",
    "offender_address", "own_child", "public_figure", "vague_acquaintance",
]
OTHER_NEGATIVE_CASES = ["critical", "sympathetic", "abusive_no_id", "offtopic"]
NEGATIVE_CASES = HARD_NEGATIVE_CASES + OTHER_NEGATIVE_CASES

REGISTERS = {
    "sym": "sympathetic", "gos": "gossipy", "ang": "angry", "abu": "abusive",
    "for": "formal", "mis": "misspelt", "low": "lowercase",
    "sar": "sarcastic", "que": "question",
}
# registers other authors may use (docs/LABELLING_GUIDELINE.md section 12)
OTHER_AUTHOR_REGISTERS = set(REGISTERS.values()) | {"calm", "long"}

# ---------------------------------------------------------------------------
# 1. Hand-written rows
# ---------------------------------------------------------------------------
HEADER_RE = re.compile(r"^##\s+vi=([01])\s+case=([a-z_]+)\s*$")


def load_handwritten(path=HANDWRITTEN):
    rows, vi, case = [], None, None
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            m = HEADER_RE.match(line)
            if m:
                vi, case = int(m.group(1)), m.group(2)
                allowed = POSITIVE_CASES if vi else NEGATIVE_CASES
                if case not in allowed:
                    sys.exit(f"{path}:{lineno}: case {case!r} not valid for vi={vi}")
                continue
            if not line.strip() or line.startswith("#"):
                continue
            if vi is None:
                sys.exit(f"{path}:{lineno}: comment line before any '## vi=.. case=..' header")
            code, sep, text = line.partition("|")
            if not sep:
                sys.exit(f"{path}:{lineno}: expected 'REG|text'")
            bang = code.endswith("!")
            code = code.rstrip("!")
            if code not in REGISTERS:
                sys.exit(f"{path}:{lineno}: unknown register code {code!r}")
            text = text.strip()
            register = REGISTERS[code]
            if register == "lowercase" and text != text.lower():
                sys.exit(f"{path}:{lineno}: 'low' row contains capitals")
            rows.append({
                "text": text,
                "victim_identification": vi,
                "abuse": 1 if (code == "abu" or bang) else 0,
                "case": case,
                "register": register,
            })
    return rows


# ---------------------------------------------------------------------------
# 3. Other authors' rows (retired held-out sets)
# ---------------------------------------------------------------------------
def other_author_files(directory=HERE):
    return sorted(glob.glob(os.path.join(directory, OTHER_AUTHORS_GLOB)))


def load_other_authors(directory=HERE):
    """Rows of train_*.jsonl, validated like hand-written rows; origin = the file's stem."""
    rows = []
    for path in other_author_files(directory):
        origin = os.path.splitext(os.path.basename(path))[0][len("train_"):]
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                r = json.loads(line)
                vi, case, register = r.get("victim_identification"), r.get("case"), r.get("register")
                if vi not in (0, 1) or r.get("abuse") not in (0, 1):
                    sys.exit(f"{path}:{lineno}: labels must be 0 or 1")
                if case not in (POSITIVE_CASES if vi else NEGATIVE_CASES):
                    sys.exit(f"{path}:{lineno}: case {case!r} not valid for vi={vi}")
                if register not in OTHER_AUTHOR_REGISTERS:
                    sys.exit(f"{path}:{lineno}: unknown register {register!r}")
                rows.append({"text": r["text"].strip(), "victim_identification": vi,
                             "abuse": r["abuse"], "case": case, "register": register,
                             "origin": origin})
    return rows


# ---------------------------------------------------------------------------
# 2. Generator gazetteer (all PEOPLE, streets, estates, schools are invented;
#    towns and villages are real places)
# ---------------------------------------------------------------------------
G = {
    "f": ["Kirsten", "Jodie", "Leah", "Chelsea", "Ebony", "Kayla", "Harley",
          "Lexi", "Maisie", "Lily-Mae", "Darcey", "Evie", "Summer", "Kenzie",
          "Sophie", "Megan", "Gemma", "Rebecca", "Hayley", "Danielle",
          "Shauna", "Aaliyah", "Yasmin", "Ruby", "Scarlett", "Alisha",
          "Niamh", "Toni", "Kerry", "Rosie"],
    "m": ["Connor", "Kyle", "Bradley", "Jamie", "Ryan", "Lewis", "Ethan",
          "Mason", "Carl", "Stuart", "Neil", "Paul", "Asif", "Bilal", "Glen"],
    "s": ["Ackroyd", "Bramall", "Clegg", "Dyson", "Firth", "Greaves", "Hirst",
          "Ibbotson", "Jessop", "Kenworthy", "Lockwood", "Micklethwaite",
          "Nuttall", "Oxley", "Pickersgill", "Rhodes", "Turton", "Uttley",
          "Wigfield", "Yeardley", "Hague", "Denton", "Platts", "Cutts",
          "Bagshaw", "Fearn", "Radley", "Whiteley"],
    "offf": ["Darren", "Wayne", "Lee", "Shaun", "Gary", "Craig", "Dean",
             "Mick", "Terry", "Zahid", "Kamran", "Stuart", "Barry", "Keith"],
    "nick": ["lil kayz", "Tinks", "Bubbles", "Shaz", "Kizzy", "Lexi Lou",
             "Bumble", "Ditzy", "Cookie", "Mimi", "Tiny T", "Peaches",
             "Dolly", "Smudge", "Jellybean", "Missy", "Lulu", "Pip"],
    "street": ["Larkspur Close", "Cobnar Road", "Wheelwright Grove",
               "Saltbox Lane", "Copper Beech Rise", "Pennyfield Road",
               "Brackley Terrace", "Fallowfield Close", "Ravensmoor Drive",
               "Nettlebed Lane", "Sandpiper Court", "Foxglove Way",
               "Drovers Walk", "Mardale Crescent", "Oakroyd Avenue",
               "Wrenbeck Close", "Elm Close", "Sycamore Road"],
    "estate": ["the Larkfield estate", "the Hollin Bank estate",
               "the Thornmoor estate", "the Wheatcroft estate",
               "the Ravensmoor estate", "the Cobnar estate",
               "the Fallowfield flats", "the Ferham", "Kimberworth Park",
               "the Saltbox estate"],
    "school": ["Brackenhurst Academy", "Holmewood Comp", "St Aldric's",
               "Castlebrook Sixth Form", "Thornhill High",
               "Wickham Vale Academy", "Greystones PRU",
               "Hollingworth Grammar", "Ferndale Primary",
               "Ravensmoor Academy", "St Cuthwin's RC",
               "Oakroyd Community School"],
    "year": ["Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12",
             "Year 13", "lower sixth", "upper sixth"],
    "work": ["the Co-op on Cobnar Road", "Greggs in town",
             "the Asda at Parkgate", "Dawson's chippy", "the Red Lion",
             "Glamour Box nails", "the leisure centre",
             "the care home on Moorgate", "the Aldi in Wickersley",
             "B&M at the retail park", "the Spar on Saltbox Lane",
             "the bakery on Bridge Street", "Brightstar Homecare",
             "Kingsway Taxis"],
    "village": ["Ulley", "Firbeck", "Letwell", "Harthill", "Woodsetts",
                "Todwick", "Thorpe Salvin", "Gildingwells", "Slade Hooton",
                "Hooton Levitt", "Laughton en le Morthen", "Harley",
                "Wentworth", "Hellaby", "Orgreave", "Scholes"],
    "town": ["Rotherham", "Maltby", "Wath", "Rawmarsh", "Dinnington",
             "Mexborough", "Swinton", "Thurcroft", "Brinsworth",
             "Wickersley", "Dalton", "Thrybergh", "Kimberworth", "Canklow"],
    "bigtown": ["Rotherham", "Sheffield", "Doncaster", "Barnsley",
                "South Yorkshire"],
    "rel": ["stepdaughter", "niece", "granddaughter", "own daughter",
            "step-granddaughter", "goddaughter", "partner's daughter",
            "sister's girl"],
    "age": ["11", "12", "13", "14", "15", "16"],
    "official": ["Steve Noonan", "Tim Forber", "Alexis Jay",
                 "Professor Jay", "Mr Noonan", "DCC Tim Forber",
                 "the IOPC director", "the PCC"],
    "rank": ["DC", "DS", "PC", "Inspector", "Sergeant", "DCI", "PCSO"],
    "paper": ["the Star", "the Advertiser", "the Yorkshire Post",
              "Look North", "Radio Sheffield", "Police Oracle"],
    "letter": list("ABCDEFGH"),
    "label": ["Girl", "Child", "Complainant", "Witness", "Victim", "Person"],
    "hist": ["Rochdale", "Telford", "Operation Bullfinch in Oxford",
             "the Savile case", "Operation Yewtree", "the Cleveland crisis",
             "Kincora", "Haut de la Garenne", "Operation Sanctuary",
             "the Jay Report"],
    "platform": ["Facebook", "TikTok", "Snapchat", "Instagram", "WhatsApp"],
    "group": ["the Maltby community page", "the Rotherham mums group",
              "the Eastwood WhatsApp", "the Wath Facebook group",
              "the Dinnington page"],
}


def _slots(rng):
    """Pick one value per slot; derived slots keep names consistent."""
    v = {k: rng.choice(vals) for k, vals in G.items()}
    v["f2"] = rng.choice(G["f"])
    v["s2"] = rng.choice(G["s"])
    v["off"] = f"{v['offf']} {rng.choice(G['s'])}"
    v["num"] = str(rng.randint(1, 64))
    v["n"] = str(rng.randint(2, 40))
    v["yrs"] = str(rng.randint(6, 22))
    v["handle"] = "@" + rng.choice([
        f"{v['f'].lower()}_{v['s'][:1].lower()}x",
        f"lil.{v['f'].lower()}.{rng.randint(1, 99)}",
        f"{v['f'].lower()}{v['s'].lower()}_",
        f"xx_{v['f'].lower()}_xx",
        f"{v['f'].lower()}.{v['town'].lower().replace(' ', '')}",
    ]).replace("-", "")
    v["link"] = rng.choice([
        f"facebook.com/{v['f'].lower()}.{v['s'].lower()}.{rng.randint(2, 9999)}",
        f"instagram.com/{v['f'].lower()}_{v['s'].lower()}_x",
        f"tiktok.com/@{v['f'].lower()}{rng.randint(90, 99)}",
        f"facebook.com/{v['f'].lower()}.{v['town'].lower().replace(' ', '')}",
    ]).replace("-", "")
    return v


# Frames: case -> list of (register code, template).  Positive and negative
# frames deliberately share the same slots (names, schools, streets...).
POS_FRAMES = {
    "name": [
        ("gos", "It's {f} {s}, everyone knows she's the girl in the trial."),
        ("sym", "Thinking of {f} {s} today, she never deserved any of this."),
        ("que", "Is the girl {f} {s}? Someone said so on {group}."),
        ("ang", "{f} {s} told them years ago and they ignored her."),
        ("gos", "My cousin says the complainant is {f} {s} from {town}."),
        ("abu", "{f} {s} is a lying little cow and everyone knows it's her."),
        ("sym", "{f} {s}, we all believe you. Stay strong x"),
    ],
    "nickname": [
        ("gos", "It's {nick} from {town}, that's who the girl is."),
        ("gos", "Everyone calls her {nick}, she's the one who went to the police."),
        ("que", "Is it {nick} off {estate}? The one who was in care?"),
        ("sym", "Big love to {nick}, you didn't deserve any of this."),
        ("abu", "{nick} from {town} always was a little liar, she'll say anything."),
    ],
    "handle": [
        ("gos", "She's {handle} on {platform}, she's the girl from the case."),
        ("que", "Is {handle} the girl who gave evidence? She posted about court."),
        ("gos", "Look at {handle}, her story literally says she's the one."),
        ("sym", "{handle} we believe you, ignore the trolls x"),
        ("abu", "{handle} stop playing the victim, everyone knows what you're like"),
    ],
    "profile_link": [
        ("gos", "That's her: {link} — the girl from the trial."),
        ("que", "Is this the girl? {link}"),
        ("gos", "Her page is public, {link}, scroll back to when it happened."),
        ("abu", "{link} there's the lying little madam, go and tell her"),
    ],
    "address": [
        ("gos", "She lives at {num} {street}, {town}. That's the girl."),
        ("que", "Is it the girl at {num} {street}? Police were there for weeks."),
        ("ang", "Her address, {num} {street}, got read out in a public hearing. Shocking."),
        ("gos", "The victim's at number {num} on {street} with her nan."),
    ],
    "street_estate": [
        ("gos", "It's the girl from {street} in {town}, everyone on that road knows."),
        ("que", "Is it the girl off {estate}? The one whose mum works nights?"),
        ("gos", "Only one girl that age on {street}, so work it out."),
        ("sym", "Thinking of the girl from {street}, the whole street's behind her."),
        ("ang", "The girl off {estate} was screaming for help and nobody came."),
    ],
    "school": [
        ("gos", "The girl goes to {school}, she's the only one there who went to court."),
        ("que", "Is it the girl who left {school} in the middle of term?"),
        ("ang", "Teachers at {school} flagged her and the police did nothing."),
        ("sym", "To the girl from {school}, your old classmates are thinking of you."),
    ],
    "year_group": [
        ("gos", "It's a girl in {year} at {school}, the whole year knows."),
        ("que", "Is it the {year} girl at {school} who stopped coming in?"),
        ("gos", "She's in {year} at {school}, my daughter's in her form."),
        ("abu", "that {year} girl at {school} is a lying little madam"),
    ],
    "workplace": [
        ("gos", "She works at {work} now, she's the girl from the case."),
        ("que", "Isn't the girl the one who works at {work}?"),
        ("ang", "The police turned up at {work} to update her, in front of everyone."),
        ("gos", "Ask anyone at {work}, they all know she's the one who gave evidence."),
    ],
    "relative": [
        ("gos", "It's {off}'s {rel}, everyone in {town} knows."),
        ("que", "So the victim is the accused's {rel}?"),
        ("ang", "Her own stepdad, {off} of {street}, and she got called a liar."),
        ("gos", "The girl is the defendant's {rel}, that's why the family's split."),
        ("sym", "Thinking of his {rel}. Abused by someone in your own family and then not believed, I can't imagine it."),
    ],
    "age_place": [
        ("gos", "A {age}-year-old from {village}? There's about three girls that age there."),
        ("ang", "{age} and from {village}. They may as well have printed her name."),
        ("que", "Is it the {age} year old from {village}? Her dad runs the farm shop."),
        ("gos", "The {age}-year-old from {village}, only one family it could be."),
    ],
    "photo": [
        ("gos", "I've seen the pic of her on {platform}, it's definitely the girl from the trial."),
        ("ang", "Someone posted her photo on {group} and it's still up. Disgusting."),
        ("que", "Is that her in the photo going round {group}?"),
        ("gos", "Her school photo's doing the rounds on {platform}, that's her."),
    ],
    "community_knowledge": [
        ("gos", "Everyone on {estate} knows it's her."),
        ("gos", "The whole of {town} knows who the girl is, it's no secret."),
        ("que", "Doesn't everyone in {town} already know who she is?"),
        ("ang", "Everyone on {group} has been naming her for weeks."),
    ],
    "combined": [
        ("gos", "It's the girl from {year} at {school} whose mum works at {work}."),
        ("gos", "{f}, {year} at {school}, lives on {street}. That's her."),
        ("que", "Is it the girl on {street} who goes to {school} and works at {work}?"),
        ("gos", "His {rel}, {age}, from {village}, goes to {school}. Only one girl fits."),
    ],
}

NEG_FRAMES = {
    "official": [
        ("ang", "{official} should be answering for this, not giving quotes."),
        ("for", "I would welcome a written response from {official} on the timetable for the recommendations."),
        ("que", "Has {official} said anything about the 2020 re-inspection?"),
        ("sar", "{official} is \"deeply concerned\". Well, that fixes it."),
        ("ang", "Councillor {f} {s} sat on the safeguarding board for years and said nothing."),
        ("que", "Why is Cllr {f} {s} still in charge of children's services?"),
        ("abu", "{official} is a useless overpaid suit and should go."),
    ],
    "officer": [
        ("ang", "{rank} {f} {s} ignored the reports for years and retired on a full pension."),
        ("sym", "{rank} {f} {s} was the only officer who listened. Credit to her."),
        ("que", "Was {rank} {m} {s} one of the five officers sanctioned?"),
        ("gos", "My uncle worked with {rank} {m} {s} in {town} and says he knew everything."),
        ("abu", "{rank} {m} {s} is a lazy useless disgrace to the uniform"),
        ("for", "The public should be told whether {rank} {f} {s} will face a misconduct hearing."),
    ],
    "journalist": [
        ("sym", "Thank you to {f} {s} at {paper} for keeping this story alive."),
        ("que", "Is {f} {s} from {paper} covering the misconduct hearing?"),
        ("ang", "{f} {s} at {paper} reported this years ago and got ignored."),
        ("gos", "Heard {f} {s} from {paper} is writing a book about Op Linden."),
    ],
    "convicted_offender": [
        ("ang", "{off} got {yrs} years at Sheffield Crown Court. Not enough."),
        ("gos", "{off} from {town} got sent down last month, good riddance."),
        ("abu", "{off} is a vile nonce, hope he rots"),
        ("for", "{off}, of {street}, {town}, was convicted on all counts and jailed for {yrs} years."),
        ("que", "Is {off} on the sex offenders register for life?"),
        ("sar", "{off}'s barrister says he's \"remorseful\". Course he is."),
    ],
    "self_disclosure": [
        ("sym", "I was in {year} at {school} when it happened to me and nobody noticed."),
        ("ang", "I grew up on {estate} and was groomed at {age}. The police called me a liar."),
        ("sym", "I was {age} and living in {town} when I reported it. I'm okay now. It gets better."),
        ("que", "I was abused at {age} in {town}. Is it too late to report it now?"),
        ("ang", "I've got a record from when I was {age} because of what he made me do. Fix that."),
    ],
    "generic_victims": [
        ("sym", "The girls from {bigtown} deserved so much better than this."),
        ("ang", "Those children in {town} were failed by every adult around them."),
        ("for", "Survivors across {bigtown} must be kept updated on their complaints."),
        ("que", "How many of the victims in {town} have had an apology?"),
    ],
    "anonymised_label": [
        ("sym", "{label} {letter} was so brave, I hope she's okay today."),
        ("ang", "{label} {letter} reported it {n} times and nothing happened."),
        ("for", "The treatment of {label} {letter} in the report falls far below acceptable standards."),
        ("que", "Is {label} {letter} in this report the same as in the trial?"),
    ],
    "historical_case": [
        ("ang", "{hist}, Rotherham, same failures every single time."),
        ("for", "The parallels with {hist} are striking and should worry everyone."),
        ("que", "Did {hist} lead to the same recommendations on training?"),
        ("sar", "After {hist} you'd think they'd have learned. Apparently not."),
    ],
    "place_only": [
        ("gos", "My daughter's school, {school}, had a CSE talk for {year} this week. Good."),
        ("ang", "{estate} hasn't seen a bobby on foot in years."),
        ("sym", "{town} is full of good people who deserved better policing."),
        ("for", "A {age}-year-old from {bigtown} could be any one of thousands of children; the report is suitably general."),
        ("gos", "{work} is collecting for a survivors' charity this month, nice to see."),
        ("que", "Does {school} do any safeguarding work with the police?"),
    ],
}

# How many generated rows per case.  Keep the total at or below
# MAX_GENERATED_SHARE of all rows (checked at build time).
GEN_QUOTA = {
    "name": 22, "nickname": 20, "handle": 20, "profile_link": 18,
    "address": 20, "street_estate": 22, "school": 20, "year_group": 22,
    "workplace": 20, "relative": 22, "age_place": 20, "photo": 18,
    "community_knowledge": 16, "combined": 16,
    "official": 38, "officer": 38, "journalist": 34, "convicted_offender": 38,
    "self_disclosure": 36, "generic_victims": 34, "anonymised_label": 34,
    "historical_case": 30, "place_only": 38,
}

MISSPELL = {
    "know": "no", "knows": "nos", "because": "cos", "was": "wos", "you": "u",
    "your": "ur", "are": "r", "with": "wiv", "school": "skool",
    "believe": "beleive", "everyone": "evry1", "people": "ppl",
    "should": "shud", "would": "wud", "could": "cud", "that's": "thats",
    "it's": "its", "isn't": "isnt", "she's": "shes", "someone": "sum1",
    "what": "wot", "daughter": "dorter", "nothing": "nuffink",
    "years": "yrs", "police": "polis", "there's": "theres", "only": "onli",
    "thinking": "finking", "said": "sed", "really": "rly",
}


def to_lowercase(text):
    return text.lower().rstrip(".!")


def to_misspelt(text, rng):
    words = text.lower().split(" ")
    out = [MISSPELL.get(w, w) if rng.random() < 0.8 else w for w in words]
    return " ".join(out).rstrip(".!")


def norm(text):
    return re.sub(r"\s+", " ", re.sub(r"[^\w@ ]", "", text.lower())).strip()


def generate(existing_norms, rng):
    rows = []
    for case, quota in GEN_QUOTA.items():
        vi = 1 if case in POSITIVE_CASES else 0
        frames = (POS_FRAMES if vi else NEG_FRAMES)[case]
        made, attempts = 0, 0
        while made < quota:
            attempts += 1
            if attempts > quota * 200:
                sys.exit(f"generator cannot make {quota} unique rows for {case}")
            code, frame = rng.choice(frames)
            text = frame.format(**_slots(rng))
            text = text[0].upper() + text[1:] if not text.startswith("@") else text
            register = REGISTERS[code]
            roll = rng.random()
            if code not in ("for",) and roll < 0.22:
                text, register = to_lowercase(text), "lowercase"
            elif code not in ("for",) and roll < 0.38:
                lowered = to_lowercase(text)
                text = to_misspelt(text, rng)
                # no word was respelt -> it is really just a lower-case row
                register = "misspelt" if text != lowered else "lowercase"
            key = norm(text)
            if key in existing_norms:
                continue
            existing_norms.add(key)
            rows.append({
                "text": text,
                "victim_identification": vi,
                "abuse": 1 if code == "abu" else 0,
                "case": case,
                "register": register,
            })
            made += 1
    return rows


def build():
    hand = load_handwritten()
    seen = set()
    for r in hand:
        k = norm(r["text"])
        if k in seen:
            sys.exit(f"duplicate hand-written text: {r['text'][:60]!r}")
        seen.add(k)
    rng = random.Random(SEED)
    gen = generate(seen, rng)
    share = len(gen) / (len(gen) + len(hand))
    if share > MAX_GENERATED_SHARE:
        sys.exit(f"generated share {share:.1%} exceeds {MAX_GENERATED_SHARE:.0%}; "
                 "lower GEN_QUOTA or add hand-written rows")
    # another author's row that repeats one of ours (or an earlier one of theirs) adds nothing
    others = []
    for r in load_other_authors():
        k = norm(r["text"])
        if k not in seen:
            seen.add(k)
            others.append(r)
    rows = hand + gen + others
    random.Random(SEED + 1).shuffle(rows)
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return hand, gen, rows


def stats(hand, gen, rows):
    pos = sum(r["victim_identification"] for r in rows)
    hard = sum(r["case"] in HARD_NEGATIVE_CASES for r in rows)
    others = Counter(r["origin"] for r in rows if "origin" in r)
    print(f"rows {len(rows)}  hand-written {len(hand)}  generated {len(gen)} "
          f"({len(gen) / (len(hand) + len(gen)):.1%} of ours)  other authors "
          + (" ".join(f"{k} {n}" for k, n in sorted(others.items())) or "0"))
    print(f"positives {pos} ({pos / len(rows):.1%})  negatives {len(rows) - pos}  "
          f"hard negatives {hard}  abuse=1 {sum(r['abuse'] for r in rows)}")
    for field in ("case", "register"):
        c = Counter((r[field], r["victim_identification"]) for r in rows)
        print(f"\n{field}:")
        for (k, vi), n in sorted(c.items(), key=lambda x: (-x[0][1], x[0][0])):
            print(f"  vi={vi} {k:<20} {n}")


if __name__ == "__main__":
    h, g, all_rows = build()
    if "--stats" in sys.argv:
        stats(h, g, all_rows)
    else:
        print(f"wrote {len(all_rows)} rows to {OUT}")
