"""Abuse cues that word n-grams learn poorly from the public corpora.

The corpora are tweets, Wikipedia talk pages and forum posts; the site's comments are about
policing stories, where abuse is mostly aimed (an insult with a target), a call for violence
against offenders or officers, a generalisation about an ethnic or religious group, or blame
heaped on the victims. Each cue below is a small pattern for one of those, counted per comment
(the features) and located (the spans a moderator sees). The words are general English and
UK slang, not phrases taken from any evaluation set.

Cues, and why each exists:

* ``targeted_insult`` -- an insult with a target ("you absolute moron", "Noonan is a spineless
  worm", "shut up"): the target is what separates abuse from "this report is pathetic".
* ``violence_call`` -- threats and calls for violence or vigilantism ("string them up", "should
  be castrated", "know where you live"), which the corpora rarely phrase this way.
* ``group_hate`` -- a group named together with a generalisation or a dehumanising word ("they're
  all rapists", "send them back", "animals, the lot of them").
* ``victim_blame`` -- blaming or demeaning the victims ("asked for it", "crying rape").
* ``sexual`` -- sexual remarks aimed at a person.

Weak words ("useless", "pathetic", "liar") are insults only with a target: the lexicon counts
them as a kind of their own (``disparaging`` in ``model.gazetteer``), and ``targeted_insult``
catches them aimed at someone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from model.caseless import ascii_twin, twin_lower
from model.gazetteer import ABUSE_LEXICON, _words

CUE_NAMES = ("targeted_insult", "violence_call", "group_hate", "victim_blame", "sexual")

_I = re.IGNORECASE

# The insults a cue looks for: the lexicon's (model.gazetteer, one home for them), plus words
# that insult only when aimed at someone ("you rat", "the councillor is a snake") and slang the
# lexicon does not list -- counted by the lexicon wherever they stand, these would flag "a rat
# problem" or "waste of money".
_AIMED_INSULTS = _words("""
    bint bozo buffoon buffoons cockroach cockroaches cockwomble cow cretins degenerates dimwit
    dimwits dipshit div divs douche douchebag drip gammon gobshite half-wit halfwit halfwits
    idiotic ignoramus imbeciles knob knobheads libtard libtards lowlife lowlifes maggot maggots
    mong mongs moronic nob nobhead numpties numpty nutter nutters parasite parasites pillock
    pillocks plonker plonkers rat rats sheep simpleton snake snakes snowflake snowflakes spaz
    thicko thickos trash troll trolls waste wazzock weasel worm worms wretch
""")
_INSULT_SET = frozenset(w for w, kind in ABUSE_LEXICON.items() if kind == "insult") | _AIMED_INSULTS
_INSULT = "|".join(re.escape(w) for w in sorted(_INSULT_SET, key=len, reverse=True))
_ADJ = r"(?:(?:absolute|utter|complete|total|right|proper|stupid|thick|ignorant|pathetic|" \
       r"useless|sad|little|fat|lying|spineless|brain[- ]?dead|bloody|fucking|effing|" \
       r"typical|bigoted|racist|sick|dirty|disgusting|vile|miserable|clueless|old|silly)\s+){0,3}"

_GROUP = (r"(?:muslims?|islam(?:ic|ists?)?|pakistanis?|asians?|immigrants?|migrants?|refugees?|"
          r"asylum\s+seekers?|foreigners?|blacks|jews|gays|queers|trans(?:gender)?s?|gypsies|"
          r"travellers|romanians|poles|arabs|somalis|africans|kurds|afghans|albanians|pakis|"
          r"women|feminists|lefties|libs)")
_TARGET_ADJ = frozenset("""thick stupid pathetic useless deluded disgusting vile sick braindead
    ignorant joke disgrace embarrassment""".split())
_GROUP_WORDS = _words("""muslim muslims islam islamic islamist islamists pakistani pakistanis
    asian asians immigrant immigrants migrant migrants refugee refugees asylum foreigner
    foreigners blacks jews gays queers trans transgender transgenders gypsies travellers
    romanians poles arabs somalis africans kurds afghans albanians pakis women feminists lefties
    libs""")

# (cue, gate, pattern): the pattern runs only when the comment has one of the gate's words (one
# word of each set, for a tuple of sets), so the usual comment costs a few set intersections
# instead of a regex scan.
_RULES: tuple[tuple[str, frozenset | tuple[frozenset, ...], re.Pattern], ...] = (
    ("targeted_insult", (frozenset({"you", "u", "ya", "yer", "you're", "youre", "ur", "your"}),
                         _INSULT_SET | _TARGET_ADJ),
     re.compile(
         # second person: "you moron", "you're a complete idiot", "ur a joke mate"
         r"\b(?:you|u|ya|yer)\s+(?:are\s+|r\s+)?(?:an?\s+|such\s+an?\s+|just\s+an?\s+)?" + _ADJ
         + r"(?:" + _INSULT + r"|joke|disgrace|embarrassment)\b"
         r"|\b(?:you're|youre|you\s+are|ur|your)\s+(?:an?\s+|such\s+an?\s+|just\s+an?\s+|so\s+)?"
         + _ADJ + r"(?:" + _INSULT + r"|thick|stupid|pathetic|useless|deluded|disgusting|vile|"
         r"sick|brain[- ]?dead|braindead|ignorant)\b", _I)),
    # third person: "Noonan is a spineless worm", "the lot of them are scum"
    ("targeted_insult", _INSULT_SET,
     re.compile(r"\b(?:is|are|was|were|'s|'re)\s+(?:an?\s+|such\s+an?\s+|just\s+an?\s+|"
                r"nothing\s+but\s+(?:an?\s+)?|a\s+(?:bunch|load|pack|shower)\s+of\s+)" + _ADJ
                + r"(?:" + _INSULT + r")\b", _I)),
    # a reply that insults its addressee: "@Sam_R muppet", "@Keith_M go troll, you wretch"
    ("targeted_insult", _INSULT_SET | _TARGET_ADJ | _words("stupid cow idiot"),
     re.compile(r"@\w+[,:]?\s+(?:\w+[,.]?\s+){0,3}?" + _ADJ + r"(?:" + _INSULT
                + r"|stupid|thick|pathetic|ignorant)\b", _I)),
    # swearing aimed at someone ("fuck you", "screw the lot of them", "you fucking clown"), not
    # swearing at nobody ("what the fuck were they doing", "a fucking disgrace")
    ("targeted_insult", _words("fuck screw fucking fuckin effing"),
     re.compile(r"\b(?:fuck|screw)\s+(?:you|u|ya|yous|them|him|her|'em|every|all|the\s+(?:lot|police|"
                r"pigs|filth|cops|council|mods|author|editor|writer|reporter))\b"
                r"|\b(?:you|u|ya|you're|youre|ur)\s+(?:\w+\s+){0,2}?(?:fucking|fuckin|effing)\s+\w+", _I)),
    # dismissal aimed at a person
    ("targeted_insult", frozenset({"shut", "fuck", "piss", "sod", "jog", "nobody", "life", "crawl",
                                   "mince"}),
     re.compile(r"\bshut\s+(?:up|it|your\s+(?:mouth|face|gob|trap))\b|\bget\s+a\s+life\b"
                r"|\bcrawl\s+back\b|\b(?:go\s+)?(?:fuck|piss|sod|jog)\s+off\b"
                r"|\bnobody\s+(?:asked|cares\s+what\s+you)|\bthick\s+as\s+(?:mince|shit|a\s+brick)",
                _I)),
    ("violence_call", _words("""string strung hang hanged hung lynch lynched lynching castrate
        castrated castration castrating shoot shot torch burn burned burnt gas gassed bomb hunt
        chop bullet hanging rope noose petrol letterbox vigilante vigilantes vigilantism matters
        kicking beaten tortured stoned"""),
     re.compile(
         r"\bstring\s+(?:them|him|her|'em|em|the\s+lot|\w+)\s+up\b|\bstrung\s+up\b"
         r"|\b(?:hang|lynch|castrate|gas|hunt\s+down)\s+(?:them|him|her|'em|em|the\s+lot|every|"
         r"all|those|these)\b|\b(?:shoot|burn|torch|bomb)\s+(?:them|'em|em|the\s+lot)\s+all\b"
         r"|\bcastrat\w*|\blynch\w*|\bchop\s+(?:it|them|their|his)\s+(?:\w+\s+)?off\b"
         r"|\b(?:should|ought\s+to|needs?\s+to|deserves?\s+to)\s+(?:be\s+)?"
         r"(?:shot|hanged|hung|strung\s+up|castrated|burned|burnt|put\s+down|gassed|beaten|"
         r"tortured|lynched|stoned)\b"
         r"|\bbullet\s+(?:in|for|between)\b|\bbring\s+back\s+(?:hanging|the\s+rope|the\s+noose)\b"
         r"|\b(?:burn|torch)\s+(?:their|his|her|the)\s+(?:\w+\s+){0,2}(?:down|out)\b"
         r"|\bpetrol\s+through\b|\bthrough\s+(?:their|his|her)\s+letterbox\b"
         r"|\btake\s+matters\s+into\b|\bvigilante\w*|\b(?:give|gave)\s+(?:them|him|her)\s+a\s+"
         r"kicking\b|\bpublic\s+(?:hanging|execution|flogging)s?\b"
         r"|\b(?:shoot|shot|drown|hang|burn|stab|gas)\s+(?:every|all|the\s+lot|each)\b", _I)),
    ("violence_call", _words("""die fire ditch wall round machete lamppost lamp rope noose ourselves
        exterminate exterminated sterilise sterilised sterilize wipe"""),
     re.compile(
         r"\bdie\s+in\s+a\s+(?:fire|ditch|hole|cell)\b|\bagainst\s+a\s+wall\b"
         r"|\bround\s+(?:them|'em|em)\s+(?:all\s+)?up\b|\bdeal\s+with\s+(?:them|it|him)\s+ourselves\b"
         r"|\b(?:machete|lamp-?post|noose)\b|\b(?:exterminat|sterili[sz])\w*|\bwipe\s+(?:them|'em)\s+out\b",
         _I)),
    ("violence_call", _words("""live lives watch outside die dies raped cancer suffer kys neck
        yourself urself i'll ill gonna we'll"""),
     re.compile(
         r"\bknow\s+where\s+(?:you|u|he|she|they)\s+lives?\b|\bwatch\s+your\s+back\b"
         r"|\b(?:i'll|ill|i\s+will|we'll|we\s+will|gonna)\s+(?:find|get|sort|batter|end|"
         r"deal\s+with)\s+(?:you|u|him|her|them)\b|\bsee\s+(?:you|u)\s+outside\b"
         r"|\b(?:hope|wish)\s+(?:you|u|they|he|she)\s+(?:\w+\s+)?(?:die|dies|get\s+raped|"
         r"gets\s+raped|get\s+cancer|suffer)\b"
         r"|\bkill\s+(?:yo(?:u|ur)self|urself)\b|\bkys\b|\bneck\s+yourself\b", _I)),
    ("group_hate", _words("""send ship deport deported kick throw ban breed infest infested
        infesting kind"""),
     re.compile(
         r"\b(?:send|ship|deport|kick|throw)\s+(?:them|em|'em|the\s+lot|all\s+of\s+them|"
         r"every\s+(?:last\s+|single\s+)?one(?:\s+of\s+them)?)"
         r"\s+(?:all\s+)?(?:back|home|out)\b|\bgo\s+back\s+(?:to\s+(?:where|your|their)|home)\b"
         r"|\bdeport\s+(?:them|the\s+lot|every|all)\b|\bban\s+(?:islam|muslims|immigration)\b"
         r"|\bbreed\s+like\b|\binfest\w*|\btheir\s+(?:kind|breed)\b", _I)),
    ("group_hate", (frozenset({"all"}), _words("same rapists groomers paedos nonces animals"
                                               " savages vermin scum evil it")),
     re.compile(
         r"\b(?:they(?:'re|\s+are)|all\s+of\s+them\s+are|the\s+lot\s+of\s+them\s+are)\s+all\s+"
         r"(?:the\s+same|rapists?|groomers?|paedos?|nonces?|animals?|savages?|vermin|scum|"
         r"at\s+it|in\s+on\s+it|evil)\b", _I)),
    # a named group together with a generalisation or a dehumanising word
    ("group_hate", _GROUP_WORDS,
     re.compile(
         r"\b" + _GROUP + r"\s+(?:are|r|=)\s+(?:all\s+)?(?:the\s+same|rapists|groomers|paedos|"
         r"nonces|animals|savages|vermin|scum|filth|parasites|invaders|criminals|evil|liars|"
         r"dirty|disgusting|a\s+disease|a\s+cancer|the\s+problem)\b"
         r"|\b(?:animals|savages|vermin|cockroaches|parasites|invaders|subhumans?)\b[^.!?]{0,40}?\b"
         + _GROUP + r"\b|\b" + _GROUP + r"\b[^.!?]{0,40}?\b(?:animals|savages|vermin|"
         r"cockroaches|parasites|invaders|subhumans?)\b"
         r"|\bwomen\s+(?:lie|always\s+lie|make\s+it\s+up|cry\s+rape)\b"
         r"|\bkill\s+all\s+" + _GROUP + r"\b|\b" + _GROUP + r"\s+(?:can(?:'t|not)\s+be\s+trusted|"
         r"are\s+(?:just\s+)?(?:a\s+)?dirty)\b", _I)),
    ("group_hate", _words("human humans peace inbred"),
     re.compile(r"\b(?:not|aren't|arent|arnt|hardly)\s+(?:even\s+)?human\b|\breligion\s+of\s+peace\b"
                r"|\binbred\b", _I)),
    ("victim_blame", _words("""asked knew loved wanted enjoyed cry crying cried money compo
        compensation gold golddiggers legs little willing teenage"""),
     re.compile(
         r"\basked\s+for\s+it\b|\bknew\s+(?:exactly\s+)?what\s+they\s+were\s+doing\b"
         r"|\b(?:they|she|the\s+girls)\s+(?:loved|wanted|enjoyed)\s+it\b|\bcry(?:ing)?\s+rape\b"
         r"|\bcried\s+rape\b|\bin\s+it\s+for\s+the\s+(?:money|compo|compensation)\b"
         r"|\b(?:compo|compensation)\s+(?:chasers?|hunters?|culture)\b|\bgold[- ]?diggers?\b"
         r"|\bkept\s+(?:their|her)\s+legs\s+(?:shut|closed)\b|\blittle\s+(?:slags?|sluts?|"
         r"tarts?|scrubbers?|madams?|liars?)\b|\bwilling\s+participants?\b"
         r"|\bteenage\s+(?:slags?|tarts?|prostitutes?)\b", _I)),
    ("victim_blame", _words("expect dressed victims innocent attention payout payouts hands"),
     re.compile(r"\bwhat\s+did\s+they\s+expect\b|\bdressed\s+like\s+(?:that|tarts|slags)\b"
                r"|\b(?:weren't|were\s+not|werent|wasn't|arnt|aren't)\s+(?:real\s+)?(?:victims|innocent)\b"
                r"|\b(?:loved|wanted)\s+the\s+attention\b|\bhands?\s+out\s+for\b", _I)),
    ("sexual", _words("""smash shag bang ruin pound tits boobs arse ass rack suck nudes pics face
        lap knob dick sexy horny bend bed blowjob blow fit hot"""),
     re.compile(
         r"\b(?:i'd|id|i\s+would|would)\s+(?:smash|shag|bang|ruin|pound)\s+(?:her|him|you|u|that)\b"
         r"|\b(?:nice|great|lovely|big|fit)\s+(?:tits|boobs|arse|ass|rack)\b|\bsuck\s+my\b"
         r"|\bsend\s+(?:nudes|me\s+pics)\b|\b(?:sit|get)\s+on\s+my\s+(?:face|lap|knob|dick)\b"
         r"|\bsexy\b|\bhorny\b|\bbend\s+(?:her|you|u)\s+over\b|\bin\s+my\s+bed\b|\bblow\s*job\b"
         r"|\bshe(?:'s|\s+is)\s+(?:well\s+)?(?:fit|hot)\b", _I)),
    ("sexual", _words("show shaggable head dms cuff frisk search"),
     re.compile(r"\bshow\s+(?:us|me)\s+(?:your|ur|yer)\s+(?:tits|boobs|arse|ass|body)\b|\bshaggable\b"
                r"|\bgives?\s+(?:good|gud|great)\s+head\b|\b(?:in|into)\s+(?:my|your|ur)\s+dms\b"
                r"|\bcan\s+(?:cuff|frisk|search|handcuff)\s+me\b", _I)),
)
_TOKEN = re.compile(r"[a-z']+")
# ASCII text: _TOKEN's tokens are the runs of [a-z'] once every other character is a space
_ASCII_NON_TOKEN = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz'" else 32 for c in range(256))


def _tokens(lowered: str) -> list[str]:
    """``_TOKEN.findall(lowered)``, through bytes.translate + split for ASCII text (faster)."""
    if not lowered.isascii():
        return _TOKEN.findall(lowered)
    return lowered.encode("ascii").translate(_ASCII_NON_TOKEN).decode("ascii").split()


def _open(gate, tokens: set[str]) -> bool:
    if isinstance(gate, tuple):
        return all(not g.isdisjoint(tokens) for g in gate)
    return not gate.isdisjoint(tokens)


def _index_rules() -> dict[str, tuple[int, ...]]:
    """word -> the rules (indices in _RULES) that the word may open. A rule that needs a word of
    each of several sets is listed under the words of its last set: without one of them it
    cannot open, and ``_open`` checks the others."""
    index: dict[str, list[int]] = {}
    for i, (_, gate, _) in enumerate(_RULES):
        for word in gate[-1] if isinstance(gate, tuple) else gate:
            index.setdefault(word, []).append(i)
    return {w: tuple(rules) for w, rules in index.items()}


_RULE_INDEX = _index_rules()
_RULE_WORDS = frozenset(_RULE_INDEX)
# each rule's case-sensitive twin, run on the lower-cased copy of an ASCII comment
# (model/caseless.py: the same matches, several times faster)
_TWINS = tuple(ascii_twin(rx) for _, _, rx in _RULES)


def _active(text: str, tokens: Iterable[str] | None) -> list[tuple[int, str, re.Pattern, str]]:
    """(index, cue, pattern, string) of the rules the comment's words open, in ``_RULES`` order:
    the pattern to run on the string (a twin and the lower-cased text when ``twin_lower`` allows)."""
    if tokens is None:
        words = set(_tokens(text.lower()))
    else:
        words = tokens if isinstance(tokens, set | frozenset) else set(tokens)
    # the few rules one of the comment's words is listed under, rather than every rule's gate
    listed = words & _RULE_WORDS
    if not listed:  # most comments
        return []
    candidates = sorted({i for w in listed for i in _RULE_INDEX[w]})
    active = [i for i in candidates if _open(_RULES[i][1], words)]
    folded = twin_lower(text) if active else None
    return [(i, _RULES[i][0], _RULES[i][2], text) if folded is None or _TWINS[i] is None
            else (i, _RULES[i][0], _TWINS[i], folded) for i in active]


def cue_spans(text: str, found: dict | None = None) -> list[tuple[int, int, str]]:
    """(start, end, cue) for every cue found in ``text`` (the normalised comment). ``found``:
    what ``cue_counts`` filled in for the same text, so as not to match its rules again."""
    out = []
    for i, cue, rx, string in _active(text, None):
        spans = found.get(("cue", i)) if found else None
        if spans is None:
            spans = [m.span() for m in rx.finditer(string)]
        out += [(s, e, cue) for s, e in spans]
    return out


def cue_counts(text: str, tokens: Iterable[str] | None = None, found: dict | None = None
               ) -> tuple[int, ...]:
    """Number of matches per cue, in ``CUE_NAMES`` order. ``tokens``: the comment's lower-case
    words when the caller has them already. ``found``: a dict to keep the matches in, for
    ``cue_spans`` of the same text."""
    active = _active(text, tokens)
    if not active:
        return _NO_CUES
    counts = dict.fromkeys(CUE_NAMES, 0)
    for i, cue, rx, string in active:
        if found is None:
            counts[cue] += len(rx.findall(string))
        else:
            spans = found[("cue", i)] = [m.span() for m in rx.finditer(string)]
            counts[cue] += len(spans)
    return tuple(counts.values())


_NO_CUES = (0,) * len(CUE_NAMES)

__all__ = ["CUE_NAMES", "cue_counts", "cue_spans"]
