#!/usr/bin/env python3
"""Build the HELD-OUT evaluation set for the victim_identification classifier.

Every row below was written by hand for this evaluation set (no templates, no
slot filling). The set is deliberately independent of the training data so that
it measures generalisation rather than memorisation of one author's style.

All private persons, streets, estates, schools, workplaces, handles and links
are invented. Towns and villages are real UK places. Named public officials
(e.g. Steve Noonan of the IOPC, DCC Tim Forber of South Yorkshire Police,
Professor Alexis Jay) are real public figures and are always labelled 0.

Row format: (text, victim_identification, abuse, case, register)

Run:  python3 build_heldout.py      -> writes heldout.jsonl next to this file.
To extend: add a new BATCH_xx list of rows and append it to BATCHES.
"""
import json
import os
import random

POS_CASES = {
    "name", "nickname", "handle", "profile_link", "address", "street_estate",
    "school", "year_group", "workplace", "relative", "age_place", "photo",
    "community_knowledge", "combined",
}
HARD_NEG_CASES = {
    "official", "officer", "journalist", "convicted_offender",
    "self_disclosure", "anonymised_label", "historical_case", "place_only",
    "generic_victims",
}
ORDINARY_NEG_CASES = {"critical", "sympathetic", "abusive_no_id", "offtopic"}
NEG_CASES = HARD_NEG_CASES | ORDINARY_NEG_CASES
REGISTERS = {
    "sympathetic", "gossipy", "angry", "abusive", "formal", "misspelt",
    "lowercase", "sarcastic", "question",
}

# ---------------------------------------------------------------------------
# BATCH 01 - positives: full names (victims / alleged victims / children in
# proceedings), including sympathetic and speculative ones.
# ---------------------------------------------------------------------------
BATCH_01 = [
    ("Everyone round Maltby knows it was Chelsea Hindmarsh who went to the police about him, poor lass.", 1, 0, "name", "gossipy"),
    ("its kayleigh ormerod from wath isnt it, she was off school for months after", 1, 0, "name", "lowercase"),
    ("Jodie Pell was one of the girls in that case. I was at school with her.", 1, 0, "name", "gossipy"),
    ("Praying for Lauren Gatenby and her family, she was so brave giving evidence against them.", 1, 0, "name", "sympathetic"),
    ("The alleged victim is Amber Rishworth. Everybody's going to find out anyway so why hide it?", 1, 0, "name", "angry"),
    ("sorry but becca thewlis has been making stuff up about lads since year 9, dont believe a word of it", 1, 0, "name", "lowercase"),
    ("Is the girl Sophie Marfleet? My cousin reckons she was one of the ones taken to the hotel in 2009.", 1, 0, "name", "question"),
    ("Funny how the article never mentions it was Keely Broadbent who made the complaint. We all know.", 1, 0, "name", "sarcastic"),
    ("Danielle, Tanya and the youngest Fairbrass girl were all taken to that flat above the takeaway.", 1, 0, "name", "gossipy"),
    ("Well done Megan Ashworth-Lee for speaking up in court, you're a hero hun x", 1, 0, "name", "sympathetic"),
    ("The complainant in the Doncaster trial was a girl called Shannon Tebbutt; her name was said aloud in the public gallery.", 1, 0, "name", "formal"),
    ("anyone else think nicole varley made the whole thing up for attention? shes always been like that", 1, 0, "name", "lowercase"),
    ("I've nothing but respect for Jess Liversedge. Sixteen and she stood up to the lot of them.", 1, 0, "name", "sympathetic"),
    ("Victims name is Leanne Crossfield. Dont see why she gets protection and the men dont.", 1, 0, "name", "angry"),
    ("Holly-Mae Sugden is a lying little tart and the whole town knows it", 1, 1, "name", "abusive"),
    ("my mates little sister tia wragby was one of the girls, shes still not right now", 1, 0, "name", "lowercase"),
    ("Stacey Brough. There, I've said it. Somebody had to.", 1, 0, "name", "angry"),
    ("Wasnt it Cerys Oldroyd? Shes changed her second name since but its deffo her", 1, 0, "name", "misspelt"),
    ("Mr and Mrs Hepworth must be so proud of their Kirsty for standing up in that courtroom.", 1, 0, "name", "sympathetic"),
    ("Please pass my love on to Abbie Spedding, we all stand with you!!", 1, 0, "name", "sympathetic"),
    ("That Ellie Featherstone has sold stories to the papers before. Follow the money, people.", 1, 0, "name", "sarcastic"),
    ("The girl in the Barnsley case is Rhiannon Clegg-Webb (I know the family). She's doing ok now.", 1, 0, "name", "gossipy"),
    ("I'm naming her - Zara Pickersgill - because the police won't name the bloke who did it.", 1, 0, "name", "angry"),
    ("is it jade tomlinshaw? the one from the hairdressers?", 1, 0, "name", "question"),
    ("Charlotte Eyles gave evidence from behind a screen but we all knew it was her from her voice, she used to babysit our two.", 1, 0, "name", "gossipy"),
    ("The 15 year old charged in the youth court is Connor Askew, no idea why the paper won't say it.", 1, 0, "name", "angry"),
    ("Lad in the dock at youth court was Kai Rennison, my son knows him from football.", 1, 0, "name", "gossipy"),
    ("shannon mulgrew was the girl, i went to primary with her, she deserves better than this thread", 1, 0, "name", "lowercase"),
    ("Theres no way Maddie Hurtle was a victim, she was hanging round with them lads by choice.", 1, 0, "name", "misspelt"),
    ("Courtney Bellamy-Shaw, if you're reading this, we believe you.", 1, 0, "name", "sympathetic"),
    # nicknames
    ("It's Little Mo from the Flanderwell lot, that's what everyone called her at school.", 1, 0, "nickname", "gossipy"),
    ("bet its bambi again, that lass has been in every drama going", 1, 0, "nickname", "lowercase"),
    ("The girl they called Smudge in the Kimberworth crowd. She was twelve when it started.", 1, 0, "nickname", "gossipy"),
    ("Everyone in Mexborough knows who Tiny T is and what happened to her.", 1, 0, "nickname", "gossipy"),
    ("pixie from the bench lot at the park, her mum used to let them blokes in the house", 1, 0, "nickname", "lowercase"),
    ("Was it Dotty? Ginger lass with the Jack Russell? She went dead quiet after that summer.", 1, 0, "nickname", "question"),
    ("Big Shaz's youngest, the one they call Peanut. Sad but true.", 1, 0, "nickname", "gossipy"),
    ("If it's who I think it is - goes by Kiki, starts with a K - she deserves a lot better than this.", 1, 0, "nickname", "sympathetic"),
    ("They called her the Goth girl from Dinnington. She'd know straight away it's her if she read these comments.", 1, 0, "nickname", "gossipy"),
    ("Sparky (you know who you are) was one of them girls. Massive respect to her.", 1, 0, "nickname", "sympathetic"),
    ("Lol it's Mouse isn't it. Quiet one who works in the chippy.", 1, 0, "nickname", "sarcastic"),
    ("The one they nicknamed Duchess down the youth club. I'm certain it's her.", 1, 0, "nickname", "gossipy"),
    ("every1 nos its bubbles from thurcroft lmao", 1, 0, "nickname", "misspelt"),
    ("Not being funny but Rosie Red from the taxi rank was never a victim of anything in her life.", 1, 0, "nickname", "angry"),
    ("Honestly hope Boo is ok. Boo if you see this, we all know none of it was your fault x", 1, 0, "nickname", "sympathetic"),
    ("Dirty Debs from the rec. Victim my arse, she loved the attention.", 1, 1, "nickname", "abusive"),
    ("Is it Tink? The little blonde one who was always at the garage?", 1, 0, "nickname", "question"),
]

# ---------------------------------------------------------------------------
# BATCH 02 - positives: social handles, profile links, addresses.
# ---------------------------------------------------------------------------
BATCH_02 = [
    ("Her insta is @lilz_xoxo_rth if anyone wants to ask her themselves", 1, 0, "handle", "gossipy"),
    ("shes literally posting on tiktok as kaybxo2008 like nothing happened", 1, 0, "handle", "lowercase"),
    ("Check @jadeyy.m.99 on Twitter, she's been posting about the trial all week.", 1, 0, "handle", "gossipy"),
    ("the girls snapchat is soph.b.mex and shes bragging about the compo", 1, 0, "handle", "angry"),
    ("Why has nobody mentioned that @megz_donny_07 deleted her account the day he got charged?", 1, 0, "handle", "question"),
    ("Her Facebook goes by 'Tashhh Loves Louie', same girl, look at her posts from 2019.", 1, 0, "handle", "gossipy"),
    ("@ashleighhh_1x hope you're ok babe, so proud of you for going to court", 1, 0, "handle", "sympathetic"),
    ("You can find her on TikTok under rotherhamgirl_k - she did a video crying about it.", 1, 0, "handle", "sarcastic"),
    ("She's on this very site commenting as PollyP2004. Same girl, same sob story.", 1, 0, "handle", "angry"),
    ("ask @ellie.r.w.x on insta, she'll tell you it was all made up", 1, 0, "handle", "lowercase"),
    ("Her gaming tag is xXMissyMoo99Xx, my lad plays with her and she's told the whole lobby about it.", 1, 0, "handle", "gossipy"),
    ("wattpad user jodesxwrites has written a whole 'story' about this. its obviously her", 1, 0, "handle", "lowercase"),
    ("The account @survivor_kelz_bsly is literally her, she's not exactly hiding.", 1, 0, "handle", "gossipy"),
    ("If u follow @ambz.roth on twitter shes basically named him and herself", 1, 0, "handle", "misspelt"),
    ("Her Twitch is goldthorpegamergirl. Wonder if the press know.", 1, 0, "handle", "sarcastic"),
    ("She posts on Reddit as little_bird_donny and her whole history is about this case.", 1, 0, "handle", "gossipy"),
    ("@k4yleigh_b stay strong girl, the whole of Brinsworth is behind you", 1, 0, "handle", "sympathetic"),
    ("Is @roxy.thurnscoe.x the girl from the trial? Her bio says 'survivor' now.", 1, 0, "handle", "question"),
    # profile links
    ("Here's her Facebook if anyone wants to see what a liar looks like: facebook.com/chloe.wadsley.79", 1, 0, "profile_link", "angry"),
    ("instagram.com/kayla_bxnk - that's the girl. Make of it what you will.", 1, 0, "profile_link", "gossipy"),
    ("tiktok.com/@mollyyy.w_2007 shes done a live about it", 1, 0, "profile_link", "lowercase"),
    ("Her mum put it all in the village group with her name, facebook.com/groups/thurcroftmumsandtots, scroll to Tuesday.", 1, 0, "profile_link", "gossipy"),
    ("linkedin.com/in/rebecca-ainley-0a31b - works in HR now, same woman who says it happened to her in 2003.", 1, 0, "profile_link", "formal"),
    ("www.instagram.com/stephh.leese/ so proud of you girl xx", 1, 0, "profile_link", "sympathetic"),
    ("Her page: twitter.com/NatWaddo1 - scroll back to 2019 and it's all there.", 1, 0, "profile_link", "gossipy"),
    ("Heres the link to her youtube were she talks about it youtube.com/@ChannelKirstyJ", 1, 0, "profile_link", "misspelt"),
    ("facebook.com/profile.php?id=100078813 is the girls account fyi", 1, 0, "profile_link", "lowercase"),
    ("Found her: facebook.com/leah.marbeck - 'in a relationship' with a lad half her age now. Some victim.", 1, 0, "profile_link", "sarcastic"),
    ("vinted.co.uk/member/jaz-b-doncs selling all her stuff lol, it's definitely her", 1, 0, "profile_link", "gossipy"),
    ("Her fundraiser has her full name on it: gofundme.com/f/help-tegan-recover. Not very anonymous.", 1, 0, "profile_link", "sarcastic"),
    ("snapchat.com/add/evie.d2006 - ask her yourself", 1, 0, "profile_link", "angry"),
    ("Whats the point in anonimity when her insta is linked in the other comments? instagram.com/paigey.fox_", 1, 0, "profile_link", "misspelt"),
    # addresses
    ("She lives at 14 Brindlecombe Road, the one with the blue door. The press have been camped outside all morning.", 1, 0, "address", "gossipy"),
    ("Flat 3 Ollerby Court - thats where the girl and her mum live now", 1, 0, "address", "misspelt"),
    ("number 27 kestrow avenue, rawmarsh. go and ask them yourself", 1, 0, "address", "lowercase"),
    ("The family moved to a bungalow on Merrifold Lane in Swinton, the one next to the post box.", 1, 0, "address", "gossipy"),
    ("Isn't the girl at 9 Tannersgate Close? My mum delivers their post.", 1, 0, "address", "question"),
    ("That's the house on Pellow Street with the trampoline in the garden. Poor kid.", 1, 0, "address", "sympathetic"),
    ("Her nan's at 41 Quernmoor Road and she's been stopping there since it all came out.", 1, 0, "address", "gossipy"),
    ("Somebody should put a brick through 6 Hallcliffe Walk. Lying family, the lot of them.", 1, 1, "address", "abusive"),
    ("Police were outside 112 Fenwold Road all night, that's where the girl lives.", 1, 0, "address", "gossipy"),
    ("The alleged victim resides at 3 Stanecroft Mews, Wickersley. I fail to see why this should be kept secret.", 1, 0, "address", "formal"),
    ("shes in the flats above the bookies on cobbold parade, second floor, window with the pink curtains", 1, 0, "address", "lowercase"),
    ("I'll save you the bother, it's the end terrace on Threlkeld Row with the flag in the window.", 1, 0, "address", "sarcastic"),
    ("my neighbour at 18 amberfold says the lass next door at 20 is the one. cant believe it", 1, 0, "address", "lowercase"),
    ("Send flowers to 22 Whinnerbeck Drive, Goldthorpe, she deserves every one xx", 1, 0, "address", "sympathetic"),
    ("Does she still live at 5 Greyling Court? Wanted to drop a card round for her.", 1, 0, "address", "question"),
]

# ---------------------------------------------------------------------------
# BATCH 03 - positives: streets/estates, schools, year groups.
# ---------------------------------------------------------------------------
BATCH_03 = [
    ("It's the girl off the Farrowdale estate, the one whose mum has the two Staffies.", 1, 0, "street_estate", "gossipy"),
    ("It's a girl off Wyncroft Road, top end near the shop, about fifteen.", 1, 0, "street_estate", "gossipy"),
    ("lass from the thistlegate flats, ginger hair, always pushing her sisters pram", 1, 0, "street_estate", "lowercase"),
    ("The girl lives on the Greavesend estate, youngest of four. Not hard to work out is it.", 1, 0, "street_estate", "sarcastic"),
    ("One of the victims lives on my street, Milnbeck Crescent, and she's only 13. Sickening.", 1, 0, "street_estate", "angry"),
    ("She's from the bottom end of Sorrelby Lane near the garages. Quiet family, keep themselves to themselves.", 1, 0, "street_estate", "gossipy"),
    ("the girl on the kelderwood estate who moved in with her gran last year. thats her", 1, 0, "street_estate", "lowercase"),
    ("It's one of them from the Pitsmoor end of Tellford Street, I'd put money on it.", 1, 0, "street_estate", "gossipy"),
    ("Girl off Nettlebank, blonde, goes to the youth club on a Tuesday night.", 1, 0, "street_estate", "gossipy"),
    ("The young lass from the Brackendyke estate in Mexborough has been through hell. Leave her alone.", 1, 0, "street_estate", "sympathetic"),
    ("Same family off Coldharbour Row as last time. Some people never learn do they.", 1, 0, "street_estate", "sarcastic"),
    ("Heard its a girl off Haddlestone Crescent in Maltby, lives oposite the Spar", 1, 0, "street_estate", "misspelt"),
    ("if its the kid from rookwood gardens in wath i feel sick, my daughter plays out with her", 1, 0, "street_estate", "lowercase"),
    ("It's that family from the Larkwell estate. The girl was in care for a bit before all this.", 1, 0, "street_estate", "gossipy"),
    ("Rumour is it's the teenage girl on Fernwick Close who lives with foster carers.", 1, 0, "street_estate", "gossipy"),
    ("Wasn't it the lass from the maisonettes on Cropper Lane? The police car was sat there for hours.", 1, 0, "street_estate", "question"),
    ("The girl is from Sexton Rise in Handsworth and her family are absolutely devastated.", 1, 0, "street_estate", "sympathetic"),
    ("the one from the bottom of braithwell, only house on kilnhurst view with a caravan on the drive", 1, 0, "street_estate", "lowercase"),
    ("Stop pretending, it's the Quarry Bank estate girl and those scumbags on her road know it too.", 1, 1, "street_estate", "abusive"),
    # schools
    ("She goes to Brackenmoor Academy, my niece is in the same form as her.", 1, 0, "school", "gossipy"),
    ("It's one of the girls from St Aldric's, they had a special assembly about it on Monday.", 1, 0, "school", "gossipy"),
    ("the victim is a pupil at kelderwood high. teachers have been told not to talk about it", 1, 0, "school", "lowercase"),
    ("Why is nobody asking how Ravensholme School missed it? The girl was in there every day with bruises.", 1, 0, "school", "angry"),
    ("The girl's at Thornbury Vale Academy in Doncaster, everyone in that school knows.", 1, 0, "school", "gossipy"),
    ("A girl from Holmesdale Grammar sixth form, plays hockey for the county. That's all I'll say.", 1, 0, "school", "gossipy"),
    ("Its a girl from the PRU on Hesketh Road, she got moved there after it all kicked off", 1, 0, "school", "misspelt"),
    ("My daughter's at Crossmoor Primary and says the girl's little brother is in her class.", 1, 0, "school", "gossipy"),
    ("shes at lindhurst college doing hair and beauty now, proper nice lass, didnt deserve it", 1, 0, "school", "lowercase"),
    ("Why did St Bertelin's Catholic High keep it quiet? The girl was in their care the whole time.", 1, 0, "school", "question"),
    ("The girl was at Ashworth Moor Special School, which makes what they did even worse.", 1, 0, "school", "angry"),
    ("Lass goes to Maltby Grange Academy, sits behind my son in chemistry.", 1, 0, "school", "gossipy"),
    ("the victim attends wickerdale college. we all know who she is now the staff are acting weird round her", 1, 0, "school", "lowercase"),
    ("A girl from my son's school, Fairlands Park Secondary, is the one who reported it to the police.", 1, 0, "school", "gossipy"),
    ("She was excluded from Bramwith Lodge School right after it came out, so they clearly knew.", 1, 0, "school", "angry"),
    ("To the girl at Copperfold Academy - stay strong, your whole school is behind you.", 1, 0, "school", "sympathetic"),
    ("The girl who gave evidence is a pupil at Ormsby Hall School in Penistone, I believe.", 1, 0, "school", "formal"),
    # year groups
    ("It's the lass in year 10 at Copperfold whose dad drives the 208 bus.", 1, 0, "year_group", "gossipy"),
    ("It's a year 9 girl at Brackenmoor, the only one in her form with a brace.", 1, 0, "year_group", "gossipy"),
    ("Year 8 at St Aldric's, red hair, plays netball for the school. People will work it out.", 1, 0, "year_group", "gossipy"),
    ("shes in year 12 doing a level law at the college, bit ironic", 1, 0, "year_group", "lowercase"),
    ("My lad says it's a girl in Y10, set 2 maths, she's been off for weeks now.", 1, 0, "year_group", "gossipy"),
    ("The girl was in year 7 at Kelderwood when it started, which is exactly why that school should have known.", 1, 0, "year_group", "angry"),
    ("She's in the year above my daughter at Thornbury Vale, the one who got moved forms in October.", 1, 0, "year_group", "gossipy"),
    ("It's a year 11 at Ravensholme, the only one who lives up in the flats.", 1, 0, "year_group", "gossipy"),
    ("year 13 at holmesdale, head girl last year, cant believe it", 1, 0, "year_group", "lowercase"),
    ("The girl's in the same year as our Kyle at Maltby Grange, he says everyone in Year 10 is talking about it.", 1, 0, "year_group", "gossipy"),
    ("Class of 2019 at Fairlands Park will know exactly who this is, she left halfway through year 10.", 1, 0, "year_group", "gossipy"),
    ("its the yr 9 from the bus stop outside bramwith lodge evry morning", 1, 0, "year_group", "misspelt"),
    ("A girl in Year 6 at Crossmoor Primary?! That's my nephew's class, I'm sick to my stomach.", 1, 0, "year_group", "angry"),
    ("Only girl in year 10 at Lindhurst who does boxing - ring any bells?", 1, 0, "year_group", "question"),
    ("Year 11 tart from Ravensholme who hangs round the takeaway, she knew exactly what she was doing.", 1, 1, "year_group", "abusive"),
]

# ---------------------------------------------------------------------------
# BATCH 04 - positives: workplaces, relatives/relationships, age + small place.
# ---------------------------------------------------------------------------
BATCH_04 = [
    ("She works on the tills at Hebble Valley Carpets in Mexborough, you'll have seen her.", 1, 0, "workplace", "gossipy"),
    ("It's the new receptionist at Brantwood Care Home, she told half the staff on her first week.", 1, 0, "workplace", "gossipy"),
    ("Girl works weekends behind the bar at the Fothergill Arms. Blonde. Everyone knows.", 1, 0, "workplace", "gossipy"),
    ("shes a waitress at the copper ladle cafe in wickersley now", 1, 0, "workplace", "lowercase"),
    ("The alleged victim is a trainee at Pryce & Dalton Solicitors on the high street.", 1, 0, "workplace", "formal"),
    ("She works in the nail bar next to the chippy on Cobbold Parade, Polished by Gem.", 1, 0, "workplace", "gossipy"),
    ("It's one of the apprentices at Holdsworth Motors in Barnsley, the one on reception.", 1, 0, "workplace", "gossipy"),
    ("She's the one who made the complaint and she works at Sunnyfield nursery. Parents deserve to know.", 1, 0, "workplace", "angry"),
    ("The lass who does Saturdays at Binks Bakery in Swinton is the victim. Go in and show her some support.", 1, 0, "workplace", "sympathetic"),
    ("my colleague at the dearne valley call centre is the one who reported him, shes been in bits all week", 1, 0, "workplace", "lowercase"),
    ("She's a care assistant at Oakmere Lodge now. Changed her name but it's her.", 1, 0, "workplace", "gossipy"),
    ("Works at the vets on the retail park at Parkgate, dark hair, nose ring.", 1, 0, "workplace", "gossipy"),
    ("Everyone at Cranleigh Distribution knows it's the girl from packing.", 1, 0, "workplace", "gossipy"),
    ("Isn't she the one on the deli counter at Fewsters in Dinnington?", 1, 0, "workplace", "question"),
    ("She was a cleaner at the police station itself. You couldn't make it up.", 1, 0, "workplace", "sarcastic"),
    ("the girl from the hairdressers opposite the brown cow in thurcroft, cuts by casey", 1, 0, "workplace", "lowercase"),
    ("Wrks at the Greenacre leisure centre on reception, shes been telling every1 her buisness", 1, 0, "workplace", "misspelt"),
    # relatives / relationships
    ("It's Gary Swaby's stepdaughter, everyone in the pub knows.", 1, 0, "relative", "gossipy"),
    ("The victim is the accused man's own niece - his brother's girl from Rawmarsh.", 1, 0, "relative", "formal"),
    ("shes the daughter of the woman who runs the tanning place in wath", 1, 0, "relative", "lowercase"),
    ("It's Councillor Pettifer's granddaughter, that's why it was all hushed up.", 1, 0, "relative", "angry"),
    ("The lad who did it is her cousin, the Haworth lot from Kimberworth. Disgusting family.", 1, 0, "relative", "angry"),
    ("Dean Copley's eldest. Sad but that's who it is.", 1, 0, "relative", "gossipy"),
    ("Her brother is Jordan Mellard, plays for Maltby Miners, ask him if you don't believe me.", 1, 0, "relative", "gossipy"),
    ("She's the little sister of the girl who died in the crash on the bypass last year.", 1, 0, "relative", "sympathetic"),
    ("The victim's mum is Tracey who does the school crossing on Arundel Road.", 1, 0, "relative", "gossipy"),
    ("His own step-granddaughter. The Wilsthorpe family should be ashamed they stood by him.", 1, 0, "relative", "angry"),
    ("Isn't it Sharon Nutbrown's girl? The one who was in care for a bit?", 1, 0, "relative", "question"),
    ("The alleged victim is the defendant's own daughter, and he's the bloke who owns Sheldrake Scaffolding.", 1, 0, "relative", "formal"),
    ("its the vicars daughter at st oswins. thats why they kept it out the papers", 1, 0, "relative", "lowercase"),
    ("Her dad's the fella who does the ice cream van round Eastwood. Lovely bloke, gutted for him.", 1, 0, "relative", "sympathetic"),
    ("Her auntie posted about it on Facebook, it's the Birkinshaw family from up the top.", 1, 0, "relative", "gossipy"),
    ("My heart goes out to Darren and Louise in Brinsworth, no parents should see their girl go through that.", 1, 0, "relative", "sympathetic"),
    ("Accused is her uncle Craig, her mum's brother, and they all live on the same street.", 1, 0, "relative", "gossipy"),
    ("The victim is the twin sister of the lad who plays in goal for Wath Athletic under 16s.", 1, 0, "relative", "gossipy"),
    ("its the foster kid the duckmantons took in. theyre lovely people, cant believe it", 1, 0, "relative", "lowercase"),
    ("Big Kev from the taxi firm - it's his youngest. He's been out looking for them with a bat.", 1, 0, "relative", "gossipy"),
    ("Everyone saying she's a victim, her mum Donna Heseltine was no better at that age, like mother like daughter, slappers the pair of them", 1, 1, "relative", "abusive"),
    ("Wasnt it his girlfriends lad? The little boy from her first marrige?", 1, 0, "relative", "misspelt"),
    ("The girl is the daughter of the manager at the Asda in town, he's been off work since.", 1, 0, "relative", "gossipy"),
    # exact age + small place
    ("A 14-year-old from Thurcroft? There's about three girls that age in the whole village.", 1, 0, "age_place", "sarcastic"),
    ("shes 15 and from harthill, thats literally one girl", 1, 0, "age_place", "lowercase"),
    ("The 13 year old from Hooton Roberts. Population about 200. Not exactly anonymous, is it.", 1, 0, "age_place", "sarcastic"),
    ("16-year-old lass from Braithwell who works at the farm shop, that's who it is.", 1, 0, "age_place", "gossipy"),
    ("A twelve year old from Laughton-en-le-Morthen - they might as well have printed her name.", 1, 0, "age_place", "angry"),
    ("She was 11 at the time and lived in Ulley. Work it out.", 1, 0, "age_place", "gossipy"),
    ("The 15 year old girl from Firbeck who was in the Advertiser last year for her dancing.", 1, 0, "age_place", "gossipy"),
    ("14yo from woodsetts, every1 in the village nos", 1, 0, "age_place", "misspelt"),
    ("It's the 17 year old from Wentworth, the only one there who does horse riding.", 1, 0, "age_place", "gossipy"),
    ("13, from Bramley, mum's a dinner lady. Hardly a secret.", 1, 0, "age_place", "sarcastic"),
    ("A 15-year-old from Treeton who was in care - there is precisely one such child.", 1, 0, "age_place", "formal"),
    ("the lass thats 16 from todwick with the twin brother", 1, 0, "age_place", "lowercase"),
    ("She was 14 and living in Letwell at the time. Tiny place, everyone knew.", 1, 0, "age_place", "gossipy"),
    ("Aged 12 from Thorpe Salvin? Is it the girl whose mum runs the riding stables?", 1, 0, "age_place", "question"),
    ("A 13 year old boy from Wales village, the one whose grandad is on the parish council, poor little thing.", 1, 0, "age_place", "sympathetic"),
]

# ---------------------------------------------------------------------------
# BATCH 05 - positives: photos, "everyone knows", combined jigsaw details,
# self-disclosures that also name another victim, children in proceedings.
# ---------------------------------------------------------------------------
BATCH_05 = [
    ("I've seen her picture on the Rotherham Gossip page, someone posted it with a big red circle round her.", 1, 0, "photo", "gossipy"),
    ("Here's a pic of her from prom. Posting it so people know who to watch out for.", 1, 0, "photo", "angry"),
    ("Someone's put her school photo on TikTok with his mugshot right next to it.", 1, 0, "photo", "gossipy"),
    ("They blurred her face but the photo shows the house and her dog, anyone who knows her will know instantly.", 1, 0, "photo", "formal"),
    ("Look at the photo in the Star story - the girl in the background in the pink coat is her.", 1, 0, "photo", "gossipy"),
    ("Her photo is in that 2016 article about the dance school trophy, same girl, same face.", 1, 0, "photo", "gossipy"),
    ("pic attached. thats her. share it", 1, 0, "photo", "lowercase"),
    ("Screenshot of her snap story is going round every group chat in Dinnington.", 1, 0, "photo", "gossipy"),
    ("The photo of her and him at the wedding is still up on his Facebook, she's the little bridesmaid.", 1, 0, "photo", "gossipy"),
    ("Wait till you see her picture in my next comment, you'll recognise her straight away.", 1, 0, "photo", "sarcastic"),
    ("If you pause the BBC footage at 0:42 you can see her at the window. That's the girl.", 1, 0, "photo", "gossipy"),
    ("Uploading her photo here because the courts won't protect the lads she lied about.", 1, 0, "photo", "angry"),
    ("Is this her? [image] Someone in the Maltby group posted it last night.", 1, 0, "photo", "question"),
    ("posted her selfie on the town page so everyone can see the lying cow", 1, 1, "photo", "abusive"),
    # community knowledge
    ("Everyone on the Harrowlee knows exactly who she is, no point pretending otherwise.", 1, 0, "community_knowledge", "gossipy"),
    ("Whole of Maltby knows who the girl is. It's all round the school gates.", 1, 0, "community_knowledge", "gossipy"),
    ("The whole street watched the police take her statement on the doorstep. Not exactly a secret is it.", 1, 0, "community_knowledge", "sarcastic"),
    ("Ask anyone in the Quarryman's Rest who the girl is, they'll tell you her name.", 1, 0, "community_knowledge", "gossipy"),
    ("Everyone in Swinton knows it's the lass from the paper shop.", 1, 0, "community_knowledge", "gossipy"),
    ("if you went to school in wath around 2010 you know exactly who this is about", 1, 0, "community_knowledge", "lowercase"),
    ("It's an open secret in Goldthorpe who the girl is. Her family aren't even hiding it.", 1, 0, "community_knowledge", "gossipy"),
    ("Our road's WhatsApp group has had her name in it since Tuesday.", 1, 0, "community_knowledge", "gossipy"),
    ("We all know who she is in the village, it's been going round the bowls club for weeks.", 1, 0, "community_knowledge", "gossipy"),
    ("Every mum at the Crossmoor school gate knows which girl it is. It's cruel how they're talking about her.", 1, 0, "community_knowledge", "sympathetic"),
    ("my whole form knows who it is, she sits at the front and cries in registration", 1, 0, "community_knowledge", "lowercase"),
    ("Doesn't take a genius. Everyone in Rawmarsh knows which house the police were at.", 1, 0, "community_knowledge", "sarcastic"),
    ("Everyone at the boxing club knows it's the coach's niece.", 1, 0, "community_knowledge", "gossipy"),
    ("anyone from the thistlegate knows, dont need me to spell it out", 1, 0, "community_knowledge", "lowercase"),
    ("The entire estate watched them bring her out in a blanket. We all know who she is.", 1, 0, "community_knowledge", "gossipy"),
    ("Whole of year 10 at Fairlands already knows who it is so what's the point of anonymity?", 1, 0, "community_knowledge", "question"),
    ("Everybody in Bolton-on-Dearne knows her family. Stop pretending it's some big secret.", 1, 0, "community_knowledge", "angry"),
    ("Ha, 'anonymous'. Half of Kiveton was at the school gates talking about her the next morning.", 1, 0, "community_knowledge", "sarcastic"),
    ("Evryone at the club nos its the lass who does the raffle on a sunday", 1, 0, "community_knowledge", "misspelt"),
    # combined jigsaw
    ("Scouse Becky from Parkgate, moved over from Liverpool in year 8 - she's the one who went to the police.", 1, 0, "combined", "gossipy"),
    ("Google 'Rachael Bywater Maltby facebook' and she's the first result.", 1, 0, "combined", "gossipy"),
    ("The girl's his girlfriend's daughter, they moved in together on Pellow Street last spring.", 1, 0, "combined", "gossipy"),
    ("Ginger lass, 15, year 11 at Kelderwood, mum works at the Co-op in Thurcroft. Not hard.", 1, 0, "combined", "sarcastic"),
    ("red hair, walks a husky, lives by the church on threlkeld row, goes to st aldrics. connect the dots", 1, 0, "combined", "lowercase"),
    ("It's the girl whose dad drives for Dearne Valley Coaches, the one who was in the paper for swimming, lives near the leisure centre.", 1, 0, "combined", "gossipy"),
    ("The complainant is his ex's daughter Ellie, she's at the college in town now.", 1, 0, "combined", "formal"),
    ("Dark hair, dimples, works at the Fothergill Arms, from Brinsworth, year above my sister at school.", 1, 0, "combined", "gossipy"),
    ("She's the tall lass off the Kelderwood estate who does majorettes, her mum's a dinner lady at Crossmoor.", 1, 0, "combined", "gossipy"),
    ("I was abused by the same gang back in 2004. So was my best mate Gemma Rowell from Eastwood, she's never got over it.", 1, 0, "combined", "sympathetic"),
    ("Same thing happened to me, and to the girl next door, Keeley at number 12 Sorrelby Lane. Nobody listened to either of us.", 1, 0, "combined", "sympathetic"),
    ("i went through it too at 14, me and my cousin jade ashmore, she still lives on the greavesend", 1, 0, "combined", "lowercase"),
    ("Youngest of the Pettifer girls, 13, goes to Maltby Grange, rides her bike round the rec every night.", 1, 0, "combined", "gossipy"),
    ("The girl in the case is in my sister's form at Ravensholme, lives above the launderette, mum's called Donna.", 1, 0, "combined", "gossipy"),
    ("13 year old, Wath, Holbrook Vale Academy, brown hair, pink bike. Somebody knows her.", 1, 0, "combined", "angry"),
    ("The victim is a looked-after child placed with a family on Fernwick Close in Brampton, and she attends Thornbury Vale.", 1, 0, "combined", "formal"),
    ("shes 16, plays up front for dearne valley ladies u18s, her dad coaches them. enough said", 1, 0, "combined", "lowercase"),
    ("The kid in the youth court case is Tyler Bradshaw, 14, off the Farrowdale estate, goes to Brackenmoor.", 1, 0, "combined", "gossipy"),
    ("The child at the centre of the custody case is the Mellor boy from Wickersley, year 4 at Crossmoor.", 1, 0, "combined", "gossipy"),
    ("The girl in the Sheffield trial is the TikTok dancer kenz.dancez, lives in Darnall and goes to the academy there.", 1, 0, "combined", "gossipy"),
    ("Me and my sister Kerry were both groomed by them in Eastwood in 2001, Kerry still can't talk about it.", 1, 0, "combined", "sympathetic"),
    ("Was it the girl from Kimberworth Park with the little boy, works at the Spar, ex of the lad from the garage?", 1, 0, "combined", "question"),
    ("That slag from the Greavesend with the tattoo on her neck who works at the car wash, she's no victim.", 1, 1, "combined", "abusive"),
]

# ---------------------------------------------------------------------------
# BATCH 06 - hard negatives: public officials and police officers named.
# ---------------------------------------------------------------------------
BATCH_06 = [
    ("Steve Noonan says 'lessons will be learned'. Where have I heard that before?", 0, 0, "official", "sarcastic"),
    ("Credit to Steve Noonan and the IOPC team, Op Linden was a massive undertaking and they stuck at it.", 0, 0, "official", "sympathetic"),
    ("Tim Forber talks about a 'journey of continuous improvement'. The survivors have been on that journey for twenty years.", 0, 0, "official", "angry"),
    ("DCC Forber should be asked directly why under-recording got worse after 2016.", 0, 0, "official", "formal"),
    ("noonan and forber saying the same thing they said last time, nothing changes", 0, 0, "official", "lowercase"),
    ("Professor Alexis Jay's report should be required reading for every new recruit in South Yorkshire.", 0, 0, "official", "formal"),
    ("Sarah Champion has been banging this drum for years and got abuse for it. Fair play to her.", 0, 0, "official", "sympathetic"),
    ("Will Sarah Champion be raising this in Parliament again? She's about the only MP who bothers.", 0, 0, "official", "question"),
    ("Dr Alan Billings was PCC for years, what did he actually change? Genuine question.", 0, 0, "official", "question"),
    ("Chief Constable Lauren Poultney needs to come out and answer for this herself, not send her deputy.", 0, 0, "official", "angry"),
    ("Louise Casey said the council was 'not fit for purpose' back in 2015 and here we are again.", 0, 0, "official", "angry"),
    ("Mr Noonan's remarks about survivors having criminal records are the most important part of this article.", 0, 0, "official", "formal"),
    ("Forber is a useless overpaid suit who wouldnt last five minutes on a real beat", 0, 1, "official", "abusive"),
    ("Noonan, Forber, the lot of them - spineless pen-pushers the lot. Clowns.", 0, 1, "official", "abusive"),
    ("Councillor Pettifer should resign over how the council handled the referrals. Simple as.", 0, 0, "official", "angry"),
    ("Council leader Martin Scholey wasn't even in post then, so blaming him is a bit daft.", 0, 0, "official", "formal"),
    ("Cllr Brenda Hattersley said at the last meeting that CSE training is now mandatory for taxi drivers. Good.", 0, 0, "official", "formal"),
    ("The Home Secretary should be reading this report, not the Police Oracle comments section lol", 0, 0, "official", "sarcastic"),
    ("its the iopc director saying it so its hardly gonna be critical of itself is it", 0, 0, "official", "lowercase"),
    ("HMIC inspectors 'remain worried'. Well that's alright then.", 0, 0, "official", "sarcastic"),
    ("Tim Forber was at our community meeting in Wath last year and to be fair he listened.", 0, 0, "official", "sympathetic"),
    ("Why does Steve Noonan always get the press releases and never the hard questions?", 0, 0, "official", "question"),
    ("Dr Billings always said the right things in public as PCC; whether anything changed on the ground is another matter.", 0, 0, "official", "formal"),
    ("Didnt Noonan say excactly the same thing in 2018? Copy and paste job", 0, 0, "official", "misspelt"),
    ("alexis jay did the hard work, everyone else just writes press releases about it", 0, 0, "official", "lowercase"),
    ("Sarah Champion MP named the failings years ago and she was told she was stirring. She was right.", 0, 0, "official", "angry"),
    ("Forber's quote reads like it was written by a comms team. Probably was.", 0, 0, "official", "sarcastic"),
    ("Deputy Chief Constable Tim Forber and the IOPC's Steve Noonan both need to appear before the Home Affairs Committee.", 0, 0, "official", "formal"),
    ("Has the mayor, Oliver Coppard, said anything about this report yet? Can't find anything.", 0, 0, "official", "question"),
    ("I'd like to hear from the Director of Children's Services, Ruth Ellerby, not just the police.", 0, 0, "official", "formal"),
    ("Ruth Ellerby and her department have had ten years and millions of pounds. Results?", 0, 0, "official", "angry"),
    ("Is Steve Noonan the same bloke who did the Hillsborough investigation stuff?", 0, 0, "official", "question"),
    ("Not often I agree with a chief officer but Forber is right that CSE is a national issue, not just Rotherham.", 0, 0, "official", "formal"),
    ("Jay, Casey, Noonan - three big reports and the same conclusions every time", 0, 0, "official", "angry"),
    ("noonan's 'deeply concerned' lol. so am i mate, so am i", 0, 0, "official", "lowercase"),
    ("Sack the lot at the top, Forber included. Pathetic the lot of them, absolute waste of oxygen.", 0, 1, "official", "abusive"),
    ("the councillor for maltby ward, geoff ibbotson, is actually good on this, he runs the parent sessions", 0, 0, "official", "lowercase"),
    ("Mr Noonan did at least acknowledge survivors were criminalised. That took a long time coming.", 0, 0, "official", "sympathetic"),
    # police officers
    ("DS Paul Kettleborough was one of the five sanctioned, he got a final written warning and kept his job.", 0, 0, "officer", "angry"),
    ("PC Andy Roper was the first officer in Dinnington who actually took the girls seriously, credit where it's due.", 0, 0, "officer", "sympathetic"),
    ("DCI Helen Marsh ran the Linden referrals for a while, she was very good with families.", 0, 0, "officer", "sympathetic"),
    ("Inspector Raj Bhamra spoke at our school's parents evening about grooming. Really useful talk.", 0, 0, "officer", "sympathetic"),
    ("Sgt Dave Tindall retired on full pension before they could discipline him. Scandalous.", 0, 0, "officer", "angry"),
    ("Superintendent Claire Nuttall is heading the new exploitation unit, so we'll see.", 0, 0, "officer", "formal"),
    ("DC Liam Fairclough from the CSE team was brilliant with my daughter's school, honestly.", 0, 0, "officer", "sympathetic"),
    ("Is DI Karen Stobbart the officer with the outstanding misconduct hearing?", 0, 0, "officer", "question"),
    ("the ds in the other story, kettleborough, should be in prison not on a warning", 0, 0, "officer", "lowercase"),
    ("PC Roper and Sgt Tindall in the same article, one good one bad. Typical SYP.", 0, 0, "officer", "sarcastic"),
    ("Ex-DS Mick Gledhill is now a security consultant apparently. Nice work if you can get it.", 0, 0, "officer", "sarcastic"),
    ("Detective Sergeant Kettleborough's hearing found he failed to record three reports. That is a matter of public record.", 0, 0, "officer", "formal"),
    ("Bet PC Roper gets no thanks while the bosses get OBEs", 0, 0, "officer", "sarcastic"),
    ("Tindall is a disgrace to the uniform, lazy bent useless git", 0, 1, "officer", "abusive"),
    ("DCI Marsh has been moved to Doncaster now I think, anyone know?", 0, 0, "officer", "question"),
    ("My dad served with Sgt Dave Tindall in the 90s and even he says Tindall was hopeless.", 0, 0, "officer", "gossipy"),
    ("ps kettleborough was my sons football coach for a bit, never knew he was in the job till this", 0, 0, "officer", "lowercase"),
    ("Insp Bhamra has done more in two years than the previous lot did in ten.", 0, 0, "officer", "sympathetic"),
    ("Five officers out of 47 sanctioned and one of them, DC Warrender, got 'management action'. A chat, basically.", 0, 0, "officer", "angry"),
    ("Supt Nuttall was on Look North last night, seemed genuine to be fair", 0, 0, "officer", "gossipy"),
    ("The PCSO on our patch, Amy Garside, knows every kid on the estate by name and that's how it should be.", 0, 0, "officer", "sympathetic"),
    ("Why isnt DS Kettleborough named in the actual article? He's been named in the Star", 0, 0, "officer", "misspelt"),
    ("DI Stobbart's hearing is the 'one still outstanding' I'd bet.", 0, 0, "officer", "gossipy"),
    ("The retired officers should be stripped of pensions, starting with Tindall and Gledhill.", 0, 0, "officer", "angry"),
    ("Acting Chief Inspector Neil Pashley replied to my complaint within a week, which was more than I expected.", 0, 0, "officer", "formal"),
    ("Sergeant Tindall and his mates laughed at those girls. Rot in hell you bent pig.", 0, 1, "officer", "abusive"),
    ("dc fairclough came to my nans house after her burglary, lovely lad, shame about the rest", 0, 0, "officer", "lowercase"),
    ("Anyone know if DCI Helen Marsh is giving evidence at the final hearing?", 0, 0, "officer", "question"),
    ("PC Dean Harland - the one who found the girls in the car on the A57 - deserves a commendation.", 0, 0, "officer", "sympathetic"),
    ("Former DCI Ray Beardshaw says in his book they had no training. That's no excuse.", 0, 0, "officer", "angry"),
    ("The officer who ran Linden's Rotherham strand, DSupt Colin Hattersage, has retired now.", 0, 0, "officer", "formal"),
    ("Good coppers like PC Roper get tarred with the same brush and it isn't fair on them.", 0, 0, "officer", "sympathetic"),
]

# ---------------------------------------------------------------------------
# BATCH 07 - hard negatives: journalists by-lined, adult offenders convicted
# in open court (named with outcome, victims not identified).
# ---------------------------------------------------------------------------
BATCH_07 = [
    ("Good piece by Claire Hebden, much more balanced than the nationals managed.", 0, 0, "journalist", "sympathetic"),
    ("Tom Ackroyd wrote basically the same article two years ago. Nothing's changed, has it.", 0, 0, "journalist", "sarcastic"),
    ("Andrew Norfolk at The Times was reporting on this years before anyone official would listen.", 0, 0, "journalist", "formal"),
    ("whoever wrote this (sian heywood?) missed out the bit about the 2020 reinspection findings", 0, 0, "journalist", "lowercase"),
    ("Can Priya Mistry do a follow-up on what happened to the five officers? Would read that.", 0, 0, "journalist", "question"),
    ("Gareth Lumb from the Advertiser was at every day of the trial, proper journalism that.", 0, 0, "journalist", "sympathetic"),
    ("Journalists like Hebden only care about clicks, they don't care about Rotherham.", 0, 0, "journalist", "angry"),
    ("Why does the byline say 'staff reporter'? Put your name to it.", 0, 0, "journalist", "question"),
    ("The Star's crime reporter, Nina Castleford, has covered every Linden hearing. Deserves an award.", 0, 0, "journalist", "sympathetic"),
    ("Tom Ackroyd is a hack who couldnt report his way out of a paper bag", 0, 1, "journalist", "abusive"),
    ("Interesting that Claire Hebden chose to lead with the IOPC line rather than the survivors.", 0, 0, "journalist", "formal"),
    ("Sian Heywood's podcast on this was brilliant, worth a listen if you've got an hour.", 0, 0, "journalist", "sympathetic"),
    ("Is Gareth Lumb still at the Advertiser? Haven't seen his name for a while.", 0, 0, "journalist", "question"),
    ("Fair play to the journo, Nina Castleford, for not sensationalising it like the tabloids did.", 0, 0, "journalist", "sympathetic"),
    ("priya mistry always writes the police side, never the families side. every time", 0, 0, "journalist", "lowercase"),
    ("The BBC's Dan Whitaker-Brooke did a much better job of explaining Op Linden on Look North.", 0, 0, "journalist", "formal"),
    ("Ackroyd and Hebden, same paper, same lazy copy paste of the press release", 0, 0, "journalist", "angry"),
    ("Well written article by Claire Hebden, clear and respectful. Thank you.", 0, 0, "journalist", "sympathetic"),
    ("Sian Heywood gets so much abuse online for covering this, shameful.", 0, 0, "journalist", "sympathetic"),
    ("Reporter Tom Ackroyd asked Forber the right question at the press conference and got a non-answer.", 0, 0, "journalist", "formal"),
    ("Nina Castleford should be editor by now, the others are rubbish", 0, 0, "journalist", "gossipy"),
    ("The freelance who broke the Doncaster story, Joe Mallinder, got threats for it. Disgraceful.", 0, 0, "journalist", "angry"),
    # convicted offenders named with court outcome
    ("Darren Hulley got 17 years at Sheffield Crown Court. Should've been life.", 0, 0, "convicted_offender", "angry"),
    ("Glad to see Imran Sadiq-Khan finally sentenced, 14 years. Wish it was more.", 0, 0, "convicted_offender", "angry"),
    ("Lee Beverley was convicted on all counts in 2016, he's not 'alleged' anything any more.", 0, 0, "convicted_offender", "formal"),
    ("Shaun Rudge got 9 years and will be out in four and a half. Joke.", 0, 0, "convicted_offender", "sarcastic"),
    ("the taxi driver, carl fretwell, got 11 years last may. his licence should never have been renewed", 0, 0, "convicted_offender", "lowercase"),
    ("Rasheed Malik was jailed for 20 years in 2017 and the judge called him 'a predator of the worst kind'. Good.", 0, 0, "convicted_offender", "formal"),
    ("Hope Darren Hulley rots in Wakefield.", 0, 0, "convicted_offender", "angry"),
    ("Kevin Stott was found guilty at Doncaster Crown Court on Friday, sentencing next month. Hope they throw the book at him.", 0, 0, "convicted_offender", "angry"),
    ("Carl Fretwell is a disgusting nonce and should never see daylight again", 0, 1, "convicted_offender", "abusive"),
    ("Wasnt Shaun Rudge the one who got his sentance increased at appeal? Good", 0, 0, "convicted_offender", "misspelt"),
    ("Bradley Ingham, 42, of Mexborough, was jailed for 12 years. The article from 2019 is still online.", 0, 0, "convicted_offender", "formal"),
    ("Did Lee Beverley ever name the others? He's had years to.", 0, 0, "convicted_offender", "question"),
    ("The ringleader Ahmed Rauf got 22 years and the judge said he'd shown no remorse. Spot on.", 0, 0, "convicted_offender", "formal"),
    ("imran sadiq-khan's brother was cleared, which tells you all you need to know about the cps", 0, 0, "convicted_offender", "lowercase"),
    ("Kevin Stott used to run the snooker hall, everyone wondered why he always had young girls in there. Now we know - guilty on 8 counts.", 0, 0, "convicted_offender", "gossipy"),
    ("Rudge, Hulley and Beverley all convicted and not one officer lost their job. Think about that.", 0, 0, "convicted_offender", "angry"),
    ("Hulley is scum. Hope someone in there gives him what he deserves.", 0, 1, "convicted_offender", "abusive"),
    ("Martin Ackerley's conviction was upheld by the Court of Appeal last week, thankfully.", 0, 0, "convicted_offender", "formal"),
    ("Is Bradley Ingham still inside? Swear I saw him in Meadowhall.", 0, 0, "convicted_offender", "question"),
    ("Youssef Amrani got six years for the trafficking counts. That's the going rate for ruining lives apparently.", 0, 0, "convicted_offender", "sarcastic"),
    ("Ray Tordoff, the former youth worker, got 15 years at Leeds Crown Court for offences against boys at the club in the 90s.", 0, 0, "convicted_offender", "formal"),
    ("ray tordoff was convicted in open court, he doesnt get anonymity, post his face everywhere", 0, 0, "convicted_offender", "lowercase"),
    ("Fretwell and Stott both got less than the guidelines. Appeal it under unduly lenient scheme.", 0, 0, "convicted_offender", "angry"),
    ("Martin Ackerley, convicted 2018, 13 years. Why are people acting like this is news?", 0, 0, "convicted_offender", "sarcastic"),
    ("Ahmed Rauf was the worst of them. The judge was right to give him the longest sentence.", 0, 0, "convicted_offender", "formal"),
    ("Nonce Kevin Stott finally banged up, hope he gets battered every day he's in", 0, 1, "convicted_offender", "abusive"),
    ("Lee Beverley's sentencing remarks are on the judiciary website if anyone wants to read them. Harrowing.", 0, 0, "convicted_offender", "formal"),
    ("Glad Rasheed Malik got deported after serving his time.", 0, 0, "convicted_offender", "sympathetic"),
    ("Carl Fretwell still has a Facebook page with pictures of his taxi. Why hasn't it been taken down?", 0, 0, "convicted_offender", "question"),
    ("The ex-teacher Graham Pilley got 8 years for grooming pupils in the 2000s. The school's name was in the paper at the time.", 0, 0, "convicted_offender", "formal"),
    ("graham pilley taught my brother. always thought he was a creep tbh. 8 years isnt enough", 0, 0, "convicted_offender", "lowercase"),
    ("Darren Hulley was a sick man and the jury saw right through him. 17 years, good riddance.", 0, 0, "convicted_offender", "angry"),
    ("Wasn't Youssef Amrani the one who ran the takeaway on the high street? Closed down now.", 0, 0, "convicted_offender", "question"),
    ("Convicted, sentenced, named. Good. Now do the same for the ones still walking round Rotherham.", 0, 0, "critical", "angry"),
]

# ---------------------------------------------------------------------------
# BATCH 08 - hard negatives: commenters' own stories (self-disclosure), and
# generic references to "the victims" / "survivors".
# ---------------------------------------------------------------------------
BATCH_08 = [
    ("I was one of those girls. Reported it in 2006, aged 14, and was told I was making a lifestyle choice.", 0, 0, "self_disclosure", "angry"),
    ("As a survivor of CSE in Rotherham I can tell you nothing in this article surprises me.", 0, 0, "self_disclosure", "formal"),
    ("i was groomed at 13 and i still cant walk past a taxi rank without shaking. nothing has changed", 0, 0, "self_disclosure", "lowercase"),
    ("I've got a criminal record because of what was done to me. Mr Noonan is right, that needs fixing.", 0, 0, "self_disclosure", "sympathetic"),
    ("Speaking as someone who went through it: the police never once kept me updated. Not once in four years.", 0, 0, "self_disclosure", "angry"),
    ("It happened to me in Sheffield in the 90s and I never told anyone till I was 40.", 0, 0, "self_disclosure", "sympathetic"),
    ("I was abused at Brackenmoor when I was there in the 80s by someone I won't name. Nobody believed kids then.", 0, 0, "self_disclosure", "sympathetic"),
    ("Im a survivor and I was one of the 51 complainants. The process nearly broke me.", 0, 0, "self_disclosure", "misspelt"),
    ("Same happened to me in Telford. Reading this is like reading my own life.", 0, 0, "self_disclosure", "sympathetic"),
    ("Survivor here. Please stop asking who the girls are in these comments. It's us. We read this stuff.", 0, 0, "self_disclosure", "angry"),
    ("I grew up on an estate in Rotherham and I was targeted at 12. Social services closed my file in a month.", 0, 0, "self_disclosure", "angry"),
    ("i gave evidence in one of the linden cases and the officer was lovely, the system wasnt", 0, 0, "self_disclosure", "lowercase"),
    ("I'm 34 now, I've got two kids, and I still have nightmares about the flat they took me to.", 0, 0, "self_disclosure", "sympathetic"),
    ("As one of the survivors they 'spoke to', I'd like to know when the full report is actually coming.", 0, 0, "self_disclosure", "question"),
    ("They told my mum I was a runaway. I was 13 and being passed around. That's the truth of it.", 0, 0, "self_disclosure", "angry"),
    ("I was a looked-after child in Doncaster and it happened to me in my placement. The carers knew.", 0, 0, "self_disclosure", "angry"),
    ("I've waived my own anonymity before on the radio, so I'll say it here too: it was me, and I'm still fighting.", 0, 0, "self_disclosure", "formal"),
    ("me at 15 - nobody came. me at 30 - still nobody came. thats the police response", 0, 0, "self_disclosure", "lowercase"),
    ("I was in the same situation as the girls in this report and honestly the IOPC were the first people who listened.", 0, 0, "self_disclosure", "sympathetic"),
    ("Reported twice, both times 'no further action'. I kept the letters. Happy to show any journalist.", 0, 0, "self_disclosure", "formal"),
    ("I was a lad and it happened to me too. Boys get forgotten in all these reports.", 0, 0, "self_disclosure", "sympathetic"),
    ("I wasnt believed at the time becuase I'd been drinking. I was 14!! Who gave me the drink?!", 0, 0, "self_disclosure", "misspelt"),
    ("My own story is in the Jay Report as one of the case files. I recognised it straight away.", 0, 0, "self_disclosure", "formal"),
    ("Does anyone else who went through it still get anxious when they see the police? Genuinely asking.", 0, 0, "self_disclosure", "question"),
    ("I ended up with a caution for criminal damage while it was happening to me. Still shows on DBS checks.", 0, 0, "self_disclosure", "angry"),
    ("It was 2003, I was in year 9, and my form tutor noticed before anyone else. She's the only reason I'm here.", 0, 0, "self_disclosure", "sympathetic"),
    ("happened to me in rochdale. different town, same story, same excuses", 0, 0, "self_disclosure", "lowercase"),
    ("I am a survivor of non-recent abuse in South Yorkshire and I support the recommendation to include our voices in training.", 0, 0, "self_disclosure", "formal"),
    ("Lived it. Survived it. Still angry about it.", 0, 0, "self_disclosure", "angry"),
    ("I was one of the girls on the estate they targeted. I won't say which. I just want people to know we're real.", 0, 0, "self_disclosure", "sympathetic"),
    ("My abuser was convicted last year. I'm finally sleeping again. To anyone still waiting - hang on.", 0, 0, "self_disclosure", "sympathetic"),
    ("Wish I'd been believed at 13 like I was at 31. Same evidence, different decade.", 0, 0, "self_disclosure", "sarcastic"),
    ("I worked the tills at a shop in Rotherham when I was being groomed and my manager spotted it. More of that please.", 0, 0, "self_disclosure", "sympathetic"),
    ("it was me and i'm not ashamed any more. took me 15 years to say that", 0, 0, "self_disclosure", "lowercase"),
    # generic victims / survivors
    ("The victims deserve so much better than this.", 0, 0, "generic_victims", "sympathetic"),
    ("1,400 children. Let that sink in.", 0, 0, "generic_victims", "angry"),
    ("Thinking of all the survivors reading this today. You were never to blame.", 0, 0, "generic_victims", "sympathetic"),
    ("The girls were treated as the problem instead of the children they were.", 0, 0, "generic_victims", "angry"),
    ("how many of the victims are still waiting for an apology? genuine question", 0, 0, "generic_victims", "question"),
    ("Those poor girls were let down by every single agency going.", 0, 0, "generic_victims", "sympathetic"),
    ("Survivors having criminal records because of what was done to them is the most shocking line in this.", 0, 0, "generic_victims", "angry"),
    ("the victims were kids. KIDS. and coppers called them slags. never forget that", 0, 0, "generic_victims", "angry"),
    ("Every victim should be kept updated. It's not rocket science.", 0, 0, "generic_victims", "angry"),
    ("51 people complained and 256 allegations. And five officers sanctioned. Those numbers say everything.", 0, 0, "generic_victims", "formal"),
    ("I hope every survivor gets the support they need, whatever stage they're at.", 0, 0, "generic_victims", "sympathetic"),
    ("Some of the victims were as young as 11 according to the Jay report.", 0, 0, "generic_victims", "formal"),
    ("The lads who were abused get ignored every time. Victims aren't all girls.", 0, 0, "generic_victims", "angry"),
    ("Poor kids. Just poor, poor kids.", 0, 0, "generic_victims", "sympathetic"),
    ("Were any of the victims actually asked what they wanted from these recommendations?", 0, 0, "generic_victims", "question"),
    ("The victims from the estates got treated worse than the ones from nice areas, I'd bet my house on it.", 0, 0, "generic_victims", "angry"),
    ("victims were let down, survivors were let down, families were let down. whos accountable", 0, 0, "generic_victims", "lowercase"),
    ("Good to see survivors' voices being put into training. They're the experts.", 0, 0, "generic_victims", "sympathetic"),
    ("So the girls get criminal records and the officers get to retire. Lovely system.", 0, 0, "generic_victims", "sarcastic"),
    ("My thoughts are with every family who lost a daughter to this, in whatever way.", 0, 0, "generic_victims", "sympathetic"),
    ("Victims reported, police ignored, victims reported again, police ignored again. Repeat for 16 years.", 0, 0, "generic_victims", "sarcastic"),
    ("The young women who came forward were incredibly brave. All of them.", 0, 0, "generic_victims", "sympathetic"),
    ("Its the vicitms I feel for, not the coppers moaning about training", 0, 0, "generic_victims", "misspelt"),
    ("Many of the complainants were in care at the time, which should shame the council as much as the police.", 0, 0, "generic_victims", "formal"),
    ("Has a single survivor actually been compensated yet?", 0, 0, "generic_victims", "question"),
    ("These girls were children. Stop calling them 'young women' when you talk about what happened to them at 12.", 0, 0, "generic_victims", "angry"),
    ("There will be girls in Rotherham right now going through this. That's what scares me.", 0, 0, "generic_victims", "sympathetic"),
    ("Every one of those victims is somebody's daughter, sister, friend.", 0, 0, "generic_victims", "sympathetic"),
]

# ---------------------------------------------------------------------------
# BATCH 09 - hard negatives: anonymised labels, famous historical cases,
# places/schools/streets mentioned without identifying any victim.
# ---------------------------------------------------------------------------
BATCH_09 = [
    ("Girl A's evidence in the 2016 trial was heard over three days. Incredibly brave.", 0, 0, "anonymised_label", "sympathetic"),
    ("The judge referred to her only as Complainant 3, which is exactly how it should be.", 0, 0, "anonymised_label", "formal"),
    ("Child B was 12. Twelve. And the officer wrote 'consensual' on the report.", 0, 0, "anonymised_label", "angry"),
    ("Survivor X's account in the report is the hardest thing I've ever read.", 0, 0, "anonymised_label", "sympathetic"),
    ("anyone know if victim 7 in the linden report ever got an apology?", 0, 0, "anonymised_label", "question"),
    ("The report calls them Person A to Person F and honestly that makes it more chilling.", 0, 0, "anonymised_label", "formal"),
    ("girl a was let down by everyone. every single agency", 0, 0, "anonymised_label", "lowercase"),
    ("Girl A, aged 13 at the time, from Rotherham - there were thousands of girls like her.", 0, 0, "anonymised_label", "sympathetic"),
    ("Case study 14 in the Jay report describes exactly what my friend's sister went through in another town.", 0, 0, "anonymised_label", "formal"),
    ("The IOPC summary for 'Complainant D' shows the officer never even recorded the crime.", 0, 0, "anonymised_label", "formal"),
    ("So Girl C reported it four times and got nowhere. How is that possible?", 0, 0, "anonymised_label", "question"),
    ("Victim 2 in the trial had to be cross-examined by six barristers. Six. The system's broken.", 0, 0, "anonymised_label", "angry"),
    ("They called her 'Child S' in the serious case review. Her whole life reduced to a letter and still failed.", 0, 0, "anonymised_label", "sympathetic"),
    ("Well done to the woman known as Survivor 1, it took guts to talk to the inspectors.", 0, 0, "anonymised_label", "sympathetic"),
    ("Complainant A wasnt believed cos she'd been in trouble before. Dispicable.", 0, 0, "anonymised_label", "misspelt"),
    ("Apparently 'Girl A' is the most common name in South Yorkshire crime reports. Dark joke but true.", 0, 0, "anonymised_label", "sarcastic"),
    ("Do we know if Girl A and Girl B from the Sheffield trial are getting support now?", 0, 0, "anonymised_label", "question"),
    ("Child D's mother rang the police 11 times. Eleven.", 0, 0, "anonymised_label", "angry"),
    ("The review refers to a 14-year-old from South Yorkshire as 'Young Person 4'. Properly anonymised for once.", 0, 0, "anonymised_label", "formal"),
    ("'Complainant 6' is all we need to know. Stop trying to find out who she is.", 0, 0, "anonymised_label", "angry"),
    ("victim e in the report was only 11 when it started, makes me feel sick", 0, 0, "anonymised_label", "lowercase"),
    ("Girl A should get an apology in person from the Chief Constable.", 0, 0, "anonymised_label", "angry"),
    ("The 'Girl H' evidence about the officer laughing should have ended his career.", 0, 0, "anonymised_label", "angry"),
    ("Reading Child F's story, she was failed by school, social care and police all at once.", 0, 0, "anonymised_label", "sympathetic"),
    ("Just call them Girl A, B, C. We don't need to know. Their families know.", 0, 0, "anonymised_label", "sympathetic"),
    # famous historical cases
    ("This is Savile all over again: everyone knew, nobody acted.", 0, 0, "historical_case", "angry"),
    ("Operation Yewtree proved celebrities weren't untouchable. Rotherham should have proved the same about councils.", 0, 0, "historical_case", "formal"),
    ("The Rochdale case in 2012 should've been the wake-up call. Then Oxford, then Telford. How many more?", 0, 0, "historical_case", "angry"),
    ("Operation Bullfinch in Oxford had the same failings, same excuses.", 0, 0, "historical_case", "formal"),
    ("Remember Cleveland in 1987? Everyone screamed at the social workers then too.", 0, 0, "historical_case", "question"),
    ("Ian Huntley got a job in a school despite all the allegations. Soham changed vetting for good.", 0, 0, "historical_case", "formal"),
    ("Rolf Harris was convicted in 2014 and people still defended him. Same mentality round here.", 0, 0, "historical_case", "angry"),
    ("The Telford inquiry said up to a thousand girls. It's not just Rotherham, never was.", 0, 0, "historical_case", "angry"),
    ("Hillsborough and now this. South Yorkshire Police have a long history of protecting themselves first.", 0, 0, "historical_case", "angry"),
    ("stuart hall, savile, glitter... the 70s and 80s were a different planet", 0, 0, "historical_case", "lowercase"),
    ("Sarah's Law came from the Sarah Payne case and it still isn't used properly.", 0, 0, "historical_case", "formal"),
    ("The Orkney case in 1991 made everyone scared of believing children for years after.", 0, 0, "historical_case", "formal"),
    ("Savile was protected by the BBC, this lot were protected by the council. Same thing.", 0, 0, "historical_case", "sarcastic"),
    ("Is Operation Stovewood the NCA one that's still going? Thought that was the bigger one.", 0, 0, "historical_case", "question"),
    ("The Bryn Estyn children's home scandal in Wales was the 90s version of this.", 0, 0, "historical_case", "formal"),
    ("Gary Glitter keeps getting let out and recalled. Just keep him in.", 0, 0, "historical_case", "angry"),
    ("Remember the Jamie Bulger case? The whole country knew those two lads' names. Different times.", 0, 0, "historical_case", "question"),
    ("Kincora in Belfast, Rotherham, Rochdale - the pattern is always the authorities covering up.", 0, 0, "historical_case", "angry"),
    ("Savile died before he faced a court. At least some of the Rotherham men didn't get that luck.", 0, 0, "historical_case", "formal"),
    ("the jay report was 2014 and were still talking about 'lessons' in 2022. unreal", 0, 0, "historical_case", "lowercase"),
    ("Huntley, Savile, the Rochdale gang. Should all have been hanged.", 0, 0, "historical_case", "angry"),
    ("The Rochdale grooming case got a BBC drama and the girls were played by actors with changed names. That's how you tell it.", 0, 0, "historical_case", "sympathetic"),
    # place only
    ("This happened in my town and I'm ashamed of how long it took to come out.", 0, 0, "place_only", "sympathetic"),
    ("I live on the Farrowdale estate and we never see a police car unless someone's been stabbed.", 0, 0, "place_only", "angry"),
    ("Kelderwood High now runs CSE awareness for every year group, my kids came home talking about it. Good.", 0, 0, "place_only", "sympathetic"),
    ("Rotherham is a good town full of good people. It doesn't deserve to be known for this.", 0, 0, "place_only", "sympathetic"),
    ("Moved from Maltby to Doncaster in 2010 and honestly it's no different there.", 0, 0, "place_only", "gossipy"),
    ("The hotel on the ring road where a lot of it happened got knocked down last year.", 0, 0, "place_only", "gossipy"),
    ("my daughter goes to a secondary in rotherham and theyve done nothing on this, not one assembly", 0, 0, "place_only", "lowercase"),
    ("There's a taxi rank on Cobbold Parade and I still wouldn't let my girls near it.", 0, 0, "place_only", "angry"),
    ("Why is it always Rotherham, Rochdale, Telford? Bet it's happening in leafy Surrey too, just nobody looks.", 0, 0, "place_only", "question"),
    ("Wath, Mexborough, Swinton - the whole Dearne Valley has been abandoned by policing for years.", 0, 0, "place_only", "angry"),
    ("Brackenmoor Academy had an Ofsted last month and safeguarding was rated outstanding. Credit to the staff.", 0, 0, "place_only", "formal"),
    ("I walk down Pellow Street every day and there's never a copper in sight.", 0, 0, "place_only", "angry"),
    ("Anyone else from Thurcroft feel like the villages get forgotten in all this?", 0, 0, "place_only", "question"),
    ("The Greavesend estate gets a bad name but most people there are decent, working families.", 0, 0, "place_only", "sympathetic"),
    ("St Aldric's have got a brilliant pastoral team now, my lad speaks highly of them.", 0, 0, "place_only", "sympathetic"),
    ("Sheffield, Barnsley, Doncaster, Rotherham - one force, four very different towns, same failures.", 0, 0, "place_only", "formal"),
    ("grew up in kimberworth in the 90s, you just knew which cars to avoid. nobody did anything", 0, 0, "place_only", "lowercase"),
    ("There are 14-year-olds all over Rotherham still at risk today, that's what Forber should be saying.", 0, 0, "place_only", "angry"),
    ("The youth club on Nettlebank shut in 2012 and the kids have had nowhere to go since.", 0, 0, "place_only", "angry"),
    ("Fairlands Park Secondary sent a letter home about online safety after this. Sensible.", 0, 0, "place_only", "formal"),
    ("The Quarryman's Rest has finally shut. Good riddance, it was a dump.", 0, 0, "place_only", "gossipy"),
    ("I used to drive a cab in Rotherham in the 2000s and you'd see things you couldn't un-see.", 0, 0, "place_only", "gossipy"),
    ("Parkgate retail park at night is still a problem. Loads of young kids hanging about with older lads.", 0, 0, "place_only", "angry"),
    ("Born and raised in Rawmarsh and proud of it, whatever the papers say.", 0, 0, "place_only", "sympathetic"),
    ("Do the schools in Mexborough actually get CSE training or is that just a Rotherham thing?", 0, 0, "place_only", "question"),
    ("Crossmoor Primary were brilliant when my son was being bullied, so I've no bad word for them.", 0, 0, "place_only", "sympathetic"),
    ("the kelderwood estate needs a proper police station back, not a van once a week", 0, 0, "place_only", "lowercase"),
    ("Dinnington's changed so much since I was a kid. Not all for the worse to be fair.", 0, 0, "place_only", "gossipy"),
]

# ---------------------------------------------------------------------------
# BATCH 10 - ordinary negatives (critical, sympathetic, abusive without any
# identification, off-topic) plus a few tricky positives and hard negatives
# built around named offenders.
# ---------------------------------------------------------------------------
BATCH_10 = [
    # critical
    ("Twelve recommendations. There were recommendations in 2014 too. Who checks they're done?", 0, 0, "critical", "question"),
    ("Under-recording crimes against vulnerable children in 2020. Not 1997. 2020.", 0, 0, "critical", "angry"),
    ("This force is incapable of reforming itself. Merge it with West Yorkshire and start again.", 0, 0, "critical", "angry"),
    ("A 'journey of continuous improvement' is what you say when you haven't improved.", 0, 0, "critical", "sarcastic"),
    ("the training point is fair, my mate joined in 2019 and got half a day on cse. half a day", 0, 0, "critical", "lowercase"),
    ("Most of the officers retired so couldn't be disciplined. That loophole needs closing retrospectively.", 0, 0, "critical", "formal"),
    ("Eight years and 91 investigations to conclude that officers weren't trained. I could have told them that for free.", 0, 0, "critical", "sarcastic"),
    ("Public protection departments are massively under-resourced everywhere, not just here. Fund them properly.", 0, 0, "critical", "formal"),
    ("Why is the full report delayed again? What are they waiting for?", 0, 0, "critical", "question"),
    ("Management action for failing abused children. A telling off. Unbelievable.", 0, 0, "critical", "angry"),
    ("The council got off lightly in all of this compared to the police, and they were just as bad.", 0, 0, "critical", "angry"),
    ("Recommendations without deadlines are just suggestions.", 0, 0, "critical", "formal"),
    ("national multi agency approach = more meetings, more reports, nothing changes", 0, 0, "critical", "lowercase"),
    ("How is the IOPC marking its own homework any better than the police marking theirs?", 0, 0, "critical", "question"),
    ("Crime data integrity is a polite way of saying they fiddled the figures.", 0, 0, "critical", "sarcastic"),
    ("Nobody has gone to prison for the cover-up. Nobody. Think about that.", 0, 0, "critical", "angry"),
    ("Thier still not recording crimes properly and we're meant to trust them now?", 0, 0, "critical", "misspelt"),
    ("The CPS deserve as much criticism as the police here, they dropped case after case.", 0, 0, "critical", "formal"),
    ("Its all about protecting the pension pot, always has been", 0, 0, "critical", "misspelt"),
    ("If this was happening to kids in Harrogate there'd have been a public inquiry in a fortnight.", 0, 0, "critical", "angry"),
    ("Good that the report exists, bad that it took this long, worse that problems remain.", 0, 0, "critical", "formal"),
    ("Deterioration since 2016. So whatever they did worked for about five minutes.", 0, 0, "critical", "sarcastic"),
    # sympathetic
    ("Sending love to anyone who finds this article hard to read today.", 0, 0, "sympathetic", "sympathetic"),
    ("If you've been affected, NAPAC and the Rape Crisis helpline are there. You're not on your own.", 0, 0, "sympathetic", "sympathetic"),
    ("What a heartbreaking read. I hope things genuinely are changing.", 0, 0, "sympathetic", "sympathetic"),
    ("i hope whoever needs to hear this knows its never their fault x", 0, 0, "sympathetic", "lowercase"),
    ("As a parent in Rotherham this terrifies me, but I'm glad it's being talked about openly.", 0, 0, "sympathetic", "sympathetic"),
    ("Please be kind in these comments. People affected read them.", 0, 0, "sympathetic", "sympathetic"),
    ("The frontline staff who do this work now deserve support too, it's a horrible job.", 0, 0, "sympathetic", "sympathetic"),
    ("Thank you to everyone who spoke up. It changed things for the next generation, even if not fast enough.", 0, 0, "sympathetic", "sympathetic"),
    ("Is there a support group in Doncaster for adults abused as kids? Asking for a friend.", 0, 0, "sympathetic", "question"),
    ("Brave people, all of them. Nothing else to say.", 0, 0, "sympathetic", "sympathetic"),
    ("hope the families get some peace from this, even a little bit", 0, 0, "sympathetic", "lowercase"),
    ("My nan always said Rotherham looks after its own. It didn't, back then. I hope it does now.", 0, 0, "sympathetic", "sympathetic"),
    # abusive, nobody identified
    ("South Yorkshire Police are a bunch of useless bent scumbags and always have been", 0, 1, "abusive_no_id", "abusive"),
    ("Every last one of those grooming scum should be castrated and left to rot.", 0, 1, "abusive_no_id", "abusive"),
    ("Whoever wrote the comment above is a thick muppet who clearly didn't read the article.", 0, 1, "abusive_no_id", "abusive"),
    ("coppers in this town are pigs, thick as mince the lot of em", 0, 1, "abusive_no_id", "abusive"),
    ("The social workers who ignored this should be dragged out and strung up", 0, 1, "abusive_no_id", "abusive"),
    ("IOPC = Idiots On Perpetual Coffeebreaks. Useless wasters.", 0, 1, "abusive_no_id", "abusive"),
    ("Shut up you absolute moron, nobody cares about your 'both sides' rubbish.", 0, 1, "abusive_no_id", "abusive"),
    ("Bunch of spineless cowards at the council. Hope they never sleep again.", 0, 1, "abusive_no_id", "abusive"),
    ("any copper who covered for them is a nonce lover, simple", 0, 1, "abusive_no_id", "abusive"),
    ("The people defending the police in these comments are braindead sheep.", 0, 1, "abusive_no_id", "abusive"),
    ("F*** the lot of them, police, council, all of it. Burn it down.", 0, 1, "abusive_no_id", "abusive"),
    ("Pathetic excuse for a force. Pathetic excuses for human beings.", 0, 1, "abusive_no_id", "abusive"),
    ("Whoever keeps posting 'not all police' can do one, you clown", 0, 1, "abusive_no_id", "abusive"),
    # off-topic
    ("Desktop site's still broken for me, anyone else?", 0, 0, "offtopic", "question"),
    ("Can't believe they're closing the police front counter in Maltby on top of everything.", 0, 0, "offtopic", "angry"),
    ("Anyone know when the next PCSO recruitment round opens?", 0, 0, "offtopic", "question"),
    ("the county lines funding story is more important tbh, 5 million is nothing", 0, 0, "offtopic", "lowercase"),
    ("RIP to the officer in the other story. Thoughts with his family.", 0, 0, "offtopic", "sympathetic"),
    ("Comments section on this site is a mess, half of them don't load.", 0, 0, "offtopic", "angry"),
    ("Speed cameras on the Parkway are a cash cow, nothing to do with safety.", 0, 0, "offtopic", "angry"),
    ("first comment and what a grim read", 0, 0, "offtopic", "lowercase"),
    ("Why are there adverts for holiday cottages on an article like this? Grim.", 0, 0, "offtopic", "question"),
    ("Bin collections in Rotherham are a bigger scandal some weeks lol", 0, 0, "offtopic", "sarcastic"),
    ("Any ex-job here know if the pension remedy letters have gone out yet?", 0, 0, "offtopic", "question"),
    # tricky positives: named offender + relationship / jigsaw detail
    ("Neil Staniforth got ten years for abusing his own granddaughter, the one who lives with him in Kilnhurst.", 1, 0, "relative", "formal"),
    ("Peter Ingledew, the PE teacher at Ravensholme, abused a girl in his Year 8 tutor group in 2021. Everyone in that form knows who.", 1, 0, "combined", "gossipy"),
    ("glen marsden got 9 years for what he did to his stepdaughter, she's the one at the college now, poor girl", 1, 0, "relative", "lowercase"),
    ("The driver, Tony Kilner, was convicted of assaulting the girl he took to school every day on the Swinton run. Her mum's furious.", 1, 0, "combined", "angry"),
    ("The 14-year-old boy convicted in the youth court lives on our road in Wath, the one with the motorbike, everyone knows it's him.", 1, 0, "street_estate", "gossipy"),
    # matching hard negatives
    ("Neil Staniforth got ten years at Sheffield Crown Court last week. The judge said the offending was 'calculated and prolonged'.", 0, 0, "convicted_offender", "formal"),
    ("Peter Ingledew was struck off by the teaching regulator after his conviction. Should've been years ago.", 0, 0, "convicted_offender", "angry"),
    ("Tony Kilner lost his taxi licence the day he was charged and got six years. Right outcome.", 0, 0, "convicted_offender", "formal"),
    ("a 14 year old was convicted in youth court in doncaster last month, paper cant name him, rightly so", 0, 0, "place_only", "lowercase"),
]

# ---------------------------------------------------------------------------
# BATCH 11 - longer comments (3-5 sentences) where the identifying detail, if
# any, is buried mid-comment; plus extra misspelt rows.
# ---------------------------------------------------------------------------
BATCH_11 = [
    ("I've read every report since Jay and they all say the same thing. Training, recording, listening to survivors. My worry is that the people making the recommendations never have to implement them. Give it five years and we'll be reading this article again with a different date on it.", 0, 0, "critical", "formal"),
    ("Honestly this breaks my heart. I went to school with one of the girls, Nikki Abbott from Swinton, and she was the funniest person I knew until year 9. Then she just disappeared into herself. Nobody asked why. I hope she's found some peace.", 1, 0, "name", "sympathetic"),
    ("I was 13 when it started and 16 when I finally told a teacher. The police came, took a statement, and I never heard another word. I'm 31 now and I found out last year my file was marked 'no crime'. So when Mr Forber talks about a journey, I'd like to know where mine went.", 0, 0, "self_disclosure", "angry"),
    ("People keep saying 'nobody knew'. Rubbish. My mum ran the corner shop on Ollerby Street and she reported cars picking up girls outside in 2003. Nobody came. She still has the notebook with the registrations in.", 0, 0, "place_only", "angry"),
    ("Not trying to cause trouble but everyone on our road knows who it is. Her mum works at the chemist by the bus station and her little brother's in my son's class at Holbrook Vale. She's a lovely girl and she didn't deserve any of it. The press will find out soon enough anyway.", 1, 0, "combined", "gossipy"),
    ("PC Andy Roper came to our house when my daughter went missing for a night in 2012. He was the only one who treated it seriously and he kept ringing us for weeks after. He's retired now. If you're reading this Andy, thank you.", 0, 0, "officer", "sympathetic"),
    ("I know the article says the victims can't be named, and I get why. But when the 'anonymous' girl is the only 14 year old in Hooton Levitt and her dad is on the parish council, who exactly are we protecting here? The whole village already knows.", 1, 0, "age_place", "question"),
    ("The thing that stuck with me from the Jay Report was the bit about girls being doused in petrol and threatened. That's not 'lifestyle choice'. That's torture. And officers wrote those words down and went home for their tea.", 0, 0, "historical_case", "angry"),
    ("Claire Hebden's article is fair but she should have pushed the IOPC harder on the five sanctions. Final written warning is the top of it? For this? I'd like to see a follow-up piece asking every one of those officers' former supervisors what they knew.", 0, 0, "journalist", "formal"),
    ("My sister was one of them and I'm sick of people talking about her like she's a statistic. Her name is Lucy Grainger, she grew up on the Harrowlee, and she's the strongest person I know. She's not Girl whatever. She's Lucy.", 1, 0, "combined", "angry"),
    ("Going to try and say this without naming anyone. Survivors read these comments. Every time someone guesses a name or an estate or a school, a real person somewhere goes through it all again. Please just don't.", 0, 0, "generic_victims", "sympathetic"),
    ("Darren Hulley's sentencing was in 2019 and I was in the public gallery. The judge spoke for about forty minutes and didn't once mention the police. That's what annoyed me most. The failures that let him carry on were never in the dock.", 0, 0, "convicted_offender", "formal"),
    ("Its easy to find out who she is if you want to. Shes on facebook under her middle name, Marie Sands, and her profile pic is her and her nan at Cleethorpes. I'm not saying go and harass her. Just saying the anonymity thing is a joke.", 1, 0, "handle", "misspelt"),
    ("I worked in children's social care in South Yorkshire for twelve years. Caseloads of 30 plus, no supervision, managers who told us CSE was 'a police matter'. I'm not defending anyone, but the officers weren't the only ones drowning.", 0, 0, "self_disclosure", "formal"),
    ("The lass that gave evidence at the Doncaster trial is our neighbour's granddaughter. She's back at Thornbury Vale now, year 11, doing her mocks. Her nan says she's doing well. Just thought people would like to know there's some good news.", 1, 0, "combined", "sympathetic"),
    ("Steve Noonan said all the right things. Tim Forber said all the right things. Alexis Jay said all the right things in 2014. At some point saying the right things has to turn into doing them, doesn't it?", 0, 0, "official", "question"),
    ("Everyone's going on about Rotherham like it's the only place. I grew up in Keighley and it was exactly the same in the 2000s. Same cars, same takeaways, same police shrugging. At least Rotherham got a report.", 0, 0, "place_only", "angry"),
    ("Why do people keep asking who the victim is? What possible good does it do you to know? Read the article, be angry at the police, leave the girls alone.", 0, 0, "critical", "question"),
    ("I'm not saying she's lying but funny how Kelsey from the Brackendyke only remembered all this after she fell out with him. Her mate at the Co-op told my missus the whole thing. Make of that what you will.", 1, 0, "street_estate", "sarcastic"),
    ("the girl is my cousins best mate and she goes by kez on everything, kez.x.donny on insta. shes doing ok. she just wants people to stop messaging her asking if its her", 1, 0, "handle", "lowercase"),
    ("Detective Sergeant Kettleborough took my statement in 2009 and told me to 'think carefully about what this will do to your family'. I was fifteen. He's still drawing a pension. The IOPC gave him a warning.", 0, 0, "self_disclosure", "angry"),
    ("The recommendation about survivors having criminal records is the one that matters most. Girls were arrested for being drunk and disorderly while they were being trafficked. Every one of those records should be wiped, no application needed.", 0, 0, "generic_victims", "formal"),
    ("Anyone else think its strange that the article dosent mention the council once? The police get all the blame but the social workers new as well. I rang them myself in 2008 about the girls hanging round the bus station and got nowhere.", 0, 0, "critical", "misspelt"),
    ("It's the Fairbrass girl again. Third time the family's been in the papers. Her mum was at it at that age and now the daughter's doing the same. Some families are just like that.", 1, 0, "relative", "angry"),
    ("My nephew plays under 14s with the lad in the youth court case, Reece, the one whose dad has the carpet shop in Mexborough. The other parents won't let their kids near him now. The club has told everyone to keep quiet but it's too late.", 1, 0, "combined", "gossipy"),
    ("Girl A in that case went through three trials because of hung juries. Three. She had to tell her story to a room full of strangers three times. The article says the system needs to protect young people and that's exactly where it starts.", 0, 0, "anonymised_label", "angry"),
    ("Sgt Dave Tindall once told a room full of new probationers that the girls 'knew what they were getting into'. I was one of those probationers and I reported it. Nothing happened. That's the culture the IOPC is talking about.", 0, 0, "officer", "formal"),
    ("Everyone's piling on the victim but Tasha Milnes was fourteen and living in a children's home in Rawmarsh. She didn't stand a chance. Leave the girl alone.", 1, 0, "name", "sympathetic"),
    ("There are photos doing the rounds on local Facebook pages claiming to show the girl. Whoever is sharing them could be committing an offence. Report them, don't share them, and don't add to it.", 0, 0, "critical", "formal"),
    ("I recognise the girl from the description - she was in my daughters dance class at Miss Tracy's in Wath, the blonde one with the lisp. I had no idea. I wish I'd noticed something.", 1, 0, "combined", "sympathetic"),
    ("Sorry but I dont agree with all this hand wringing. Most of them officers were just doing there jobs with no training like the report says. Blame the bosses not the bobbies on the beat.", 0, 0, "critical", "misspelt"),
    ("The survivors I've worked with through the charity don't want another report. They want someone senior to look them in the eye and say 'we failed you and here's what we're doing about it'. That's all. It's not much to ask.", 0, 0, "generic_victims", "sympathetic"),
    ("so the victim is the one who was in the news for the charity bake sale at st bertelins last year, 15, long dark hair. my daughter showed me the photo. she looks so young", 1, 0, "combined", "lowercase"),
    ("Convicted in open court, named in every paper, and Ahmed Rauf's family still run the business like nothing happened. Meanwhile his victims can't even be named to be thanked. Something's backwards there.", 0, 0, "convicted_offender", "angry"),
    ("I'm from Thurcroft and I'll say this once. The girl everyone's guessing about is not who you think. Stop naming random lasses from the village on Facebook, you're ruining innocent people's lives as well.", 0, 0, "place_only", "angry"),
    ("The woman who runs the Tuesday drop-in at the Brinsworth community centre is the girl from the 2015 case, all grown up now. She told me herself. She's amazing with the young ones.", 1, 0, "workplace", "sympathetic"),
    ("Tbh the worst part is the 'not kept updated' line. When my freind reported her attacker she heard NOTHING for 14 months and then a letter saying no further action. Not even a phone call.", 0, 0, "generic_victims", "misspelt"),
    ("Is the 16 year old in the Barnsley case the same girl who was in the Chronicle for her GCSE results, the one from Cawthorne? The age and the date match up.", 1, 0, "age_place", "question"),
    ("Oh brilliant, another report. I'll file it with the other ones. Maybe one day they'll make a nice bookshelf for survivors to look at while they wait.", 0, 0, "critical", "sarcastic"),
    ("Did Tim Forber come up through South Yorkshire or transfer in from another force? Just curious how long he's been there and what he's actually changed.", 0, 0, "official", "question"),
    ("Theres a lass on Milnbeck Crescent who reckons she was one of them but she was living in Spain at the time so i dont believe a word", 1, 0, "street_estate", "misspelt"),
    ("Thanks to the mod for deleting the comments naming people earlier. Whoever posted them, shame on you.", 0, 0, "sympathetic", "sympathetic"),
    ("Operation Linden looked at 1997 to 2013. I was abused in 2015 and reported in 2016 and I was still called a 'willing participant' in my notes. So don't tell me this is all non-recent.", 0, 0, "self_disclosure", "angry"),
]

# ---------------------------------------------------------------------------
# BATCH 12 - gossipy hard negatives: local-gossip tone ("everyone knows",
# "apparently", relatives, schools, streets) about officers, offenders,
# journalists and places - but no victim or child in proceedings identified.
# ---------------------------------------------------------------------------
BATCH_12 = [
    ("Heard DS Kettleborough's moved to Spain since he retired. Nice for some.", 0, 0, "officer", "gossipy"),
    ("Apparently Kevin Stott's old snooker hall is being turned into flats. Good, knock the place down.", 0, 0, "convicted_offender", "gossipy"),
    ("Word is the last misconduct hearing is for a retired DI from Doncaster, not Rotherham at all.", 0, 0, "officer", "gossipy"),
    ("Everyone at our pub reckons the outstanding hearing is for DCI Marsh's old boss.", 0, 0, "officer", "gossipy"),
    ("Heard the Star are doing a big feature on Op Linden next month, Nina Castleford's been interviewing people for it.", 0, 0, "journalist", "gossipy"),
    ("Ray Tordoff's old house on the corner has finally sold. New family moved in, they've no idea who lived there.", 0, 0, "convicted_offender", "gossipy"),
    ("Apparently Carl Fretwell's brother still drives for the same taxi firm. Make of that what you will.", 0, 0, "convicted_offender", "gossipy"),
    ("My mum knew Sgt Tindall's wife from bingo. Even she said he was bone idle.", 0, 0, "officer", "gossipy"),
    ("Overheard in the Copper Ladle: the last Linden hearing is for an ex-DS from Rotherham and it's been put back again.", 0, 0, "officer", "gossipy"),
    ("My sister-in-law lives in Telford and says the girls there had it even worse. Everyone there talks about it.", 0, 0, "generic_victims", "gossipy"),
    ("Rumour is the council's old head of children's services is writing a memoir. Should be filed under fiction.", 0, 0, "official", "gossipy"),
    ("My nan says loads of girls off the Farrowdale were targeted back then and everyone on the estate knew it was going on.", 0, 0, "generic_victims", "gossipy"),
    ("Word on the estate is they're reopening the old Nettlebank youth club. About time.", 0, 0, "place_only", "gossipy"),
    ("Everyone in Goldthorpe knows the fella who ran that takeaway got twelve years. Serves him right.", 0, 0, "convicted_offender", "gossipy"),
    ("Whole of Wath knows which copper it was that lost those files back in the day. Joe Public always knows.", 0, 0, "officer", "gossipy"),
    ("My mate at the Advertiser says Gareth Lumb's got a book deal out of his trial coverage.", 0, 0, "journalist", "gossipy"),
    ("The whole village knows Graham Pilley is out on licence and living in a hostel in Sheffield now.", 0, 0, "convicted_offender", "gossipy"),
    ("Heard PC Roper's daughter has joined the force now, following in her dad's footsteps. Good for her.", 0, 0, "officer", "gossipy"),
    ("Everyone at the bus stop on our road was talking about this report this morning. First time I've heard people properly discuss it.", 0, 0, "place_only", "gossipy"),
    ("Apparently Supt Nuttall used to teach PE at Kelderwood High before she joined up. Small world.", 0, 0, "officer", "gossipy"),
    ("My cousin's husband was one of the 47 officers looked at and he was cleared. Says it was the worst two years of his life.", 0, 0, "officer", "gossipy"),
    ("Apparently the woman who chaired the Rotherham safeguarding board back then lives in Harrogate now. Course she does.", 0, 0, "official", "gossipy"),
]

# ---------------------------------------------------------------------------
# BATCH 13 - positives in formal / sympathetic / question / sarcastic
# registers, so that tone alone does not give the label away.
# ---------------------------------------------------------------------------
BATCH_13 = [
    ("For the avoidance of doubt, the complainant in the Rawmarsh case is Miss Jasmine Oakes, a pupil at Kelderwood High.", 1, 0, "combined", "formal"),
    ("Could the moderators confirm whether the girl from the Wickersley case, Ava Thornley, has consented to being named? Her name is all over this thread.", 1, 0, "name", "question"),
    ("With respect, the young person concerned is the daughter of a serving officer at Main Street station, which is surely relevant to how the case was handled.", 1, 0, "relative", "formal"),
    ("So sad for little Harvey off the Sandbeck estate. Nobody should go through a custody fight like that at seven.", 1, 0, "combined", "sympathetic"),
    ("Oh yes, very anonymous. The only Polish girl in year 10 at Fairlands Park. Nobody will ever guess.", 1, 0, "combined", "sarcastic"),
    ("Thinking of you Mia, the whole of Ravenfield is so proud of you x", 1, 0, "name", "sympathetic"),
    ("Is the girl the one who won the young carers award at the town hall in March? Same age, same area.", 1, 0, "combined", "question"),
    ("I must point out that the child in the care proceedings attends the same nursery as my grandson, Little Acorns on Fenwold Road.", 1, 0, "school", "formal"),
    ("Wishing Chloe from the chippy on Cobbold Parade all the best, she's been so brave all through the trial.", 1, 0, "workplace", "sympathetic"),
    ("Funny how the 'anonymous' victim posted her own court date on Facebook. Leah Kettlewell, have a look.", 1, 0, "name", "sarcastic"),
    ("wat school does she go to? is it bramwith lodge? my daughter says a girl in her class went to court last wk", 1, 0, "school", "misspelt"),
    ("Anyone know if the girl whose mum runs Hollybank Stores in Brampton is ok? Heard she was the one.", 1, 0, "relative", "question"),
    ("It should be noted that the complainant's stepfather, Mr Royston Ledger, has posted publicly about the case.", 1, 0, "relative", "formal"),
    ("hope the wee lass at number 4 greyling court is doing ok, seen the police there again, bless her", 1, 0, "address", "lowercase"),
    ("Her uncle's been posting her name all over Facebook - Brooke Aldam. How is that allowed?", 1, 0, "name", "question"),
    ("She's in year 12 at Holmesdale and does Saturdays at Binks Bakery. Please, everyone, just leave her be.", 1, 0, "combined", "sympathetic"),
    ("Absolutely disgusted that Mexborough's Lily-Rose Pashley was put through a trial like that at 13.", 1, 0, "name", "angry"),
    ("I taught the girl in year 7 at Copperfold; she was bright and kind and deserved far better from the adults around her.", 1, 0, "year_group", "sympathetic"),
    ("Bet the girl in this is the same one the council gave a flat on Ollerby Court to. Surprise surprise.", 1, 0, "street_estate", "sarcastic"),
    ("Prayers for the little boy in the Bramley custody case, Alfie, six, who comes to our church.", 1, 0, "combined", "sympathetic"),
]

# ---------------------------------------------------------------------------
# Assemble, validate, write.
# ---------------------------------------------------------------------------
BATCHES = [
    BATCH_01, BATCH_02, BATCH_03, BATCH_04, BATCH_05,
    BATCH_06, BATCH_07, BATCH_08, BATCH_09, BATCH_10,
    BATCH_11, BATCH_12, BATCH_13,
]

SHUFFLE_SEED = 20221123  # fixed so the output file is byte-for-byte reproducible


def validate(rows):
    seen = set()
    for i, row in enumerate(rows):
        assert len(row) == 5, (i, row)
        text, vi, ab, case, reg = row
        assert isinstance(text, str) and text.strip() == text and text, (i, row)
        assert vi in (0, 1) and ab in (0, 1), (i, row)
        assert reg in REGISTERS, (i, row)
        if vi == 1:
            assert case in POS_CASES, (i, row)
        else:
            assert case in NEG_CASES, (i, row)
        key = text.lower()
        assert key not in seen, ("duplicate text", text)
        seen.add(key)


def main():
    rows = [row for batch in BATCHES for row in batch]
    validate(rows)
    rows = list(rows)
    random.Random(SHUFFLE_SEED).shuffle(rows)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heldout.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for text, vi, ab, case, reg in rows:
            fh.write(json.dumps({
                "text": text,
                "victim_identification": vi,
                "abuse": ab,
                "case": case,
                "register": reg,
            }, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
