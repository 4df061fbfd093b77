"""Word lists used by the hand-crafted detectors (stdlib only, no data files).

The lists are deliberately broad rather than exhaustive: a first name from the
list is evidence, not proof, and the classifier weighs it against context
(titles, "said", "jailed", self-disclosure, ...). Changing a list changes what
a saved model computes, so bump ``FEATURE_VERSION`` in ``model/features.py``.
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in block.split() if w.strip())


# Common first names in the UK across the generations that appear in comment
# threads (girls' and boys' names, incl. South Asian, Polish and West African
# names common in Yorkshire towns).
FIRST_NAMES = _words("""
abbie abby abigail aimee aisha alana alannah alesha alex alexandra alexis alice alicia alisha
alison amanda amara amber amelia amelie amina amira amy anastazja andrea angel angela anna annabel
annie april ashleigh ashley aurora ava ayesha bailey beatrice becky bella beth bethan bethany
billie bobbie bonnie brianna bridget brogan brooke caitlin caitlyn callie cara carla carly caroline
carrie casey cassie catherine ceri chantal chantel chantelle charlene charley charlie charlotte
chelsea chelsey cheryl chloe ciara claire clara claudia codie connie courtney crystal daisy dana
danielle darcey darcy dawn demi denise destiny dionne dominika donna dorothy eden edie eleanor
elena elise eliza ella elle ellen ellie elise eloise elsie emilia emily emma erin esme eva evelyn
evie faith fatima fatma faye felicity fern frankie freya gabriella gemma georgia georgie gina
grace gracie hafsa hajra halima hannah harriet hayley heather heidi helen hollie holly hope imogen
india isabel isabella isabelle isla isobel ivy jacqueline jade jamie-leigh jane janet jasmine jayde
jaymie jemma jenna jennifer jess jessica jodie jodi joanne jolene jordan josie julia julie justyna
kacey kacie kaitlyn kara karen kasey kate katelyn katie katherine kayla kayleigh kayley keeley
keely kelly kelsey kerri kerrie kerry kia kiera kierra kim kimberley kira kirsty kitty lacey lacie
laila lana lara laura lauren layla leah leanne leigh lena lexi libby lilly lily lisa lola lorna
lottie louise lucy lydia lyla macey macie macy madison maisie maisy maja mandy maria marie martha
mary maya megan meghan melissa mia michaela michelle millie miriam mollie molly monika nadia naomi
natalia natalie natasha nia nicola nicole nikita nina niamh olivia oliwia paige patricia paula
phoebe pippa poppy priya rachel rebecca rebekah reema rhian rhianna rhiannon rhianne rihanna robyn
rosie roxanne ruby ruth sabrina sadie saffron saima samantha samira sana sara sarah sasha savannah
scarlett shabana shakira shanice shannon shauna shazia shelby shelley sian sienna sierra simone
sinead skye skyla sofia sonia sophia sophie stacey stacy stephanie summer susan suzanne tamara
tamsin tanisha tanya tara tasha tayla taylor tegan tia tiana tiffany tilly toni tracey tracy
trinity vanessa victoria violet wiktoria yasmin yasmine zainab zara zoe zoey zuzanna
aaron abdul adam adeel adil aiden ajay alfie ali amir andrew andy anthony archie arthur asif
ashton barry ben benjamin bilal billy blake bradley brandon brendan callum calvin cameron carl
charles chris christopher ciaran cody connor conor craig curtis damian damien dan daniel danny
darren david dean declan dominic dylan elliot elliott ethan euan evan ewan faisal finley finn
frankie freddie gary george hamza harley harrison harry harvey hassan hayden henry ibrahim imran
isaac jack jackson jacob jake jakub james jamie jason jay jayden jermaine jimmy joe joel john
jonathan jordan joseph josh joshua jude kacper kai kamran karl kayden keith kenny kevin kian
kieran kieron kwame kyle lee leo leon lewis liam logan louie luca lucas luke mason matthew max
michael mohammed muhammad nathan neil nicholas noah oliver ollie oscar owen patrick paul peter
reece reese reggie rhys richard riley robbie robert rory ross ryan sam samuel scott sean shane
shaun simon stephen steven stuart tariq taylor teddy theo thomas toby tom tommy tony travis
tyler tyrone usman wayne william zac zach zak zain
alan alec brian clive colin dennis derek desmond eric frank geoffrey glenn gordon graham kenneth
leslie lionel malcolm martin neville norman raymond roger ron ronald roy terence trevor victor
""")

# More first names (issue 14 section 4, third round): new authors name people from a wider
# pool than ours, and a name the list lacks is a name the detectors never see. Those that are
# also everyday words are in AMBIGUOUS_NAMES below.
FIRST_NAMES = FIRST_NAMES | _words("""
aaliyah abi adele adriana agnes aisling alba alexa alina alys amalia amani amaya ana ananya anika
anya ariana arianna aria asha astrid ayla aysha beatrix belle blessing bronte bryony camille
carmen cerys chiara chidera christina cleo constance cora daniella darcie delilah diana dolly
ebony edith efua eileen elina eliana elif elizabeth elodie elsa emilie enya esther evangeline
farah felicia fiona florence francesca gabrielle georgina gianna gloria haleema harper hattie
hazel hermione hiba hira ifeoma ines iqra iris isha ivana jada jasmin jaya jennie joanna
jocelyn josephine julianne juliet kadija kaia kamila karina kasia katarzyna keira khadija kiara
kiran kiya laiba leila lexie liliana lilah lois lorena lorraine louisa lucia luna lyra mabel
maddie maddison madeleine mae maeve mahnoor maira malaika margaret marissa marta matilda maryam
mehreen melanie mercy mila mina minnie myra nadine nancy nell nevaeh nikola nora nour nuala nyla
olive orla pearl penelope perrie petra precious rabia rae raya reem renee ria rita romy rosa
rosalie rosemary sabah safa safiya saoirse serena sheila stella suki sylvia tahlia talia
tallulah tess tessa thea tilda una valentina vera veronica wendy willow winnie yara zahra
zaina zaynab zofia anais alanna
abdullah abel abraham adnan adrian ahmed akash alastair albert alexander alfred alistair amaan
ammar angus anton antoni aryan ashraf asher atticus austin axel ayaan barney bartosz benedict
bertie bobby bruno caleb callan carter casper cillian cole conrad corey cristian dafydd dale
damon danyal darius dawid dexter dilan dillon dimitri dominik donovan douglas duncan eddie
edward eli elias elijah emeka emmanuel enzo eoin erik ezekiel ezra fabian felix fergus filip
finlay flynn francis frederick gabriel gareth gavin gethin gideon glen gregor gregory gus
haider hamish hari haris harun hector hugo hussain ian idris igor ilyas iwan jacek jared jasper
javier jed jenson jesse jonah jonas jonny josiah julian junaid justin kadeem kaden kane kasper
keegan kelvin kenzie khalid kofi kristian kuba lachlan laurence lawrence lenny leighton levi
lincoln lorcan macauley mackenzie maciej malik marco marcus mario marley mateo mathew matteo
maxwell mikey milo mohamed mohammad morgan musa nasir nathaniel ned nikodem nnamdi noel nolan
olly omar oskar otis pablo patryk percy piotr preston quinn rafael rafe raheem rahul rajan
ralph raphael reuben ricky riyad rocco rohan romeo ronan rowan ruben rufus rupert saad sami
sebastian seth shahid shay sidney solomon spencer stanley stefan sufyan szymon tadhg theodore
tobias tobi tomasz tremaine tristan troy tyson umar uzair vincent vinnie wesley wilf wilfred
xavier yahya yasin yusuf zachary zayn zeke
""")

# Short forms and pet names people use for someone they know.
NICKNAMES = _words("""
kayz kaz shaz shazza tash tasha bex becks becca kat kath nat nattie soph sophs liv livvy em
emz jess jessie jen jenny chez chels ellz els lou lulu meg megs mol moll millz abbs abz char
chaz tee tay jojo jodes kels kel stace stacs dani danni court cort sam sammi sammie steph
lils lil kiki gem gemz cass cassie bry bree mads maddy lex lexi rach ro roxy sash vic vicky
zo zozo kayleigh-ann kerry-ann
""")

# First names that are also everyday English words: only counted when
# capitalised mid-sentence, never in lower-case text.
AMBIGUOUS_NAMES = _words("""
amber angel april autumn bailey bill billie bonnie brooke carrie charity crystal daisy dawn
destiny eden faith fern frank frankie grace hope heather holly india ivy jack jade jay jordan
joy kitty lily mark max may mia miles nick pat penny poppy rich rob robin rose ruby sandy
scarlett sky skye summer sue taylor tom will wayne dean lee chase harley reggie sienna
lottie lola eve ray rory gem lou kat nat em lil tee tay mol char court ro sash vic zo
cass mads lex rach em jen jo sam dani
blessing hazel iris mercy olive pearl precious willow dale cole bobby morgan marley
rowan percy stanley lawrence sidney spencer preston lincoln carter harper austin
douglas florence sylvia luna nancy constance gloria una rita vera nora troy justin
""")

# Words that end a "First Surname" run (not surnames) and common
# sentence-initial capitalised words.
STOPWORDS = _words("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them then there these
they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves yes yeah lol omg tbh
everyone everybody anyone nobody someone people police court jury judge report news paper
was is been got gets had has said says told asked went came know knows knew think thought
like just really still never ever always already again even well also back only
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december today yesterday tonight
god jesus christ lord bless rip xx x thanks thank sorry please hi hello dear
""")

# Titles and roles that mark a name as an official, professional or public
# figure rather than a private person (negative evidence).
OFFICIAL_TITLES = (
    r"pc|pcso|wpc|dc|ds|dci|dsi|di|dcs|acc|sgt|insp|supt|ch\s*supt|cllr|councillor|sergeant|"
    r"inspector|superintendent|constable|chief\s+constable|deputy\s+chief\s+constable|"
    r"assistant\s+chief\s+constable|chief\s+inspector|detective(?:\s+(?:sergeant|inspector|"
    r"constable|superintendent|chief\s+inspector))?|commissioner|commander|officer|judge|"
    r"justice|recorder|magistrate|mp|minister|secretary|mayor|professor|prof|dr|doctor|sir|"
    r"dame|lord|lady|baroness|reporter|journalist|editor|correspondent|barrister|solicitor|"
    r"prosecutor|qc|kc|spokesman|spokeswoman|spokesperson|headteacher|head\s+teacher|"
    r"principal|chair|chairman|chairwoman|chief\s+executive|director|leader|bishop|reverend|rev"
)

# Public figures named in the site's coverage (officials quoted in the articles, inquiry
# chairs): never private people, whether or not a title precedes them. Maintained by the
# newsroom; lower-case full names.
PUBLIC_FIGURES = frozenset({
    "steve noonan", "tim forber", "alexis jay", "professor jay", "prof jay", "mr noonan",
    "mr forber",
})

# Victim-context vocabulary (sexual offences, children, proceedings).
VICTIM_CONTEXT = _words("""
abused abuse abusing raped rape raping groomed grooming groom assaulted assault molested
molesting exploited exploitation trafficked victim victims survivor survivors complainant
complainants girl girls lass lasses kid kids child children bairn boy boys teenager teenagers
underage minor minors schoolgirl schoolgirls daughter accuser accusers testified evidence
trial gave brave believed believe poor lied liar lying
""")

# Words marking a named person as an offender dealt with in open court, or a
# commenter's own story, or the article's officials: negative evidence.
CONVICTION_WORDS = _words("""
convicted jailed sentenced sentencing imprisoned prison guilty locked jail years gaol
banged charged pleaded admitted ringleader perpetrator perpetrators offender offenders
rapist rapists paedophile paedophiles paedo nonce nonces groomer groomers defendant
accused sent down
""")

SPEECH_WORDS = _words("""
said says told stated admitted confirmed announced added insisted claimed apologised apologized
resigned wrote reported according statement interview press conference spokesman
""")

RELATIONS = (
    r"niece|nephew|daughter|step-?daughter|step-?son|son|grand-?daughter|grand-?son|"
    r"sister|half-?sister|step-?sister|brother|half-?brother|step-?brother|cousin|"
    r"girlfriend|boyfriend|ex|ex-?wife|ex-?partner|partner|wife|goddaughter|god-?daughter|"
    r"stepkid|step-?child|foster\s+(?:daughter|son|kid|child)|granddaughter|kid|kids|"
    r"lodger|babysitter|neighbour|neighbor|neighbour's\s+(?:daughter|girl|kid)"
)

# Chains and employers named in "she works at ..." comments.
EMPLOYERS = _words("""
tesco asda morrisons sainsburys sainsbury's aldi lidl iceland coop co-op spar greggs costa
starbucks mcdonalds mcdonald's kfc subway primark boots superdrug wilko b&m poundland argos
next matalan sports direct jd nandos nando's wetherspoons spoons premier inn travelodge
amazon currys halfords specsavers pizza hut dominos domino's card factory
""")

# Abusive wording for spans and lexicon features. Kinds: insult, threat, slur,
# profanity, sexual, disparaging. Multi-word entries are matched as phrases.
ABUSE_LEXICON: dict[str, str] = {}
for _kind, _block in {
    "insult": """
        idiot idiots moron morons imbecile cretin scum scumbag scumbags bastard bastards
        twat twats prick pricks dickhead dickheads wanker wankers tosser tossers knobhead
        bellend bellends dick dicks cunt cunts slag slags slut sluts whore whores hoe hoes
        skank skanks tart tramp scrubber bitch bitches asshole assholes arsehole arseholes
        jerk loser losers retard retards retarded dumbass vermin filth pig pigs clown clowns
        muppet muppets nonce nonces degenerate subhuman slapper slappers scrounger scroungers
        chav chavs gobby attention-seeker gold-digger skanky trampy slaggy
    """,
    # ordinary words in criticism of institutions ("a pathetic response", "useless force"),
    # insults only when aimed at a person: a kind of their own, never highlighted by themselves
    "disparaging": """
        useless pathetic worthless lying liar liars stupid dumb ugly fat trash garbage
        incompetent spineless gutless clueless brainless
    """,
    "profanity": """
        fuck fucking fucked fucker fuckers motherfucker shit shite shitty bullshit crap
        bollocks piss pissed damn goddamn wtf stfu
    """,
    "slur": """
        nigger niggers nigga niggas faggot faggots fag fags paki pakis wog wogs chink chinks
        spic spics kike kikes tranny trannies dyke dykes raghead ragheads coon coons gyppo
        gyppos pikey pikeys retard
    """,
    "threat": """
        kill killed killing murder shoot stab hang lynch burn beat die dead
    """,
}.items():
    for _w in _block.split():
        ABUSE_LEXICON.setdefault(_w, _kind)

THREAT_PHRASES = (
    r"(?:i(?:'ll| will| am going to|'m going to|m gonna| wanna| want to)|someone should|"
    r"we(?:'ll| will| should)|gonna|going to)\s+(?:\w+\s+){0,2}?"
    r"(?:kill|stab|shoot|hang|burn|smash|batter|beat|hurt|find|get)\b|"
    r"\bkys\b|kill\s+yo(?:u|ur)self|hope\s+(?:you|u|she|he|they)\s+(?:die|dies|rot)|"
    r"deserves?\s+to\s+(?:die|be\s+(?:raped|killed|shot|hanged|hung))|"
    r"(?:should|ought\s+to)\s+be\s+(?:shot|hanged|hung|killed|strung\s+up|castrated)"
)
