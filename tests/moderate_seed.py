"""Held comments for the moderator page's tests: an invented Rotherham story's comment thread.

Names, schools and streets are invented. ``seed_held`` writes them the way the
worker does (CommentStore.transition from pending to held, with scores, reasons,
spans and the queue priority), for tests that need exact spans; the browser
tests also run the real worker on posted comments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from storage.comments import CommentStore, hold_priority

XSS_TEXT = ('<script>window.__pwned=1</script> Great reporting, '
            '<img src=x onerror="window.__pwned=2"> keep it up.')


@dataclass
class Held:
    article_id: str
    author: str
    text: str
    scores: dict[str, float]
    reasons: list[str]
    marks: list[tuple[str, str, str]] = field(default_factory=list)  # (substring, category, kind)
    age_minutes: float = 5.0

    def spans(self) -> list[dict]:
        out = []
        for needle, category, kind in self.marks:
            start = self.text.index(needle)
            out.append({"start": start, "end": start + len(needle), "category": category,
                        "kind": kind})
        return out


VI, AB = "victim_identification", "abuse"

ROTHERHAM: list[Held] = [
    Held("rotherham-grooming-trial", "Gaz1974",
         "Everyone round Eastwood knows the girl is Chloe Hardcastle from Wingfield Academy, "
         "stop pretending otherwise.",
         {VI: 0.97, AB: 0.12}, [f"{VI}: name + school"],
         [("Chloe Hardcastle", VI, "name"), ("Wingfield Academy", VI, "school")], 3),
    Held("rotherham-grooming-trial", "concerned_mum",
         "Her mum still lives on Ferham Road, number 14. Someone should go and have a word.",
         {VI: 0.93, AB: 0.41}, [f"{VI}: address + relative"],
         [("Ferham Road, number 14", VI, "address"), ("Her mum", VI, "relative")], 8),
    Held("rotherham-grooming-trial", "Dave from Dalton",
         "Named her on Facebook already: K. Walsh, 15, from Kimberworth. Share it before they "
         "take it down.",
         {VI: 0.95, AB: 0.22}, [f"{VI}: name + age + place"],
         [("K. Walsh", VI, "name"), ("15", VI, "age"), ("Kimberworth", VI, "place")], 12),
    Held("rotherham-grooming-trial", "RoyM",
         "The victim's brother Jordan works at the Parkgate Tesco, ask him what really happened.",
         {VI: 0.89, AB: 0.08}, [f"{VI}: relative + workplace"],
         [("brother Jordan", VI, "relative"), ("Parkgate Tesco", VI, "workplace")], 20),
    Held("rotherham-grooming-trial", "Lindsey R",
         "My cousin was in the same year as her at Clifton School, she was the quiet one with "
         "the red hair.",
         {VI: 0.84, AB: 0.05}, [f"{VI}: school + description"],
         [("Clifton School", VI, "school"), ("the quiet one with the red hair", VI,
                                              "description")], 31),
    Held("rotherham-iopc-report", "Pete_Wath",
         "The officers who ignored this are spineless cowards and should rot in a cell.",
         {AB: 0.88, VI: 0.03}, [f"{AB}: insult"],
         [("spineless cowards", AB, "insult"), ("should rot in a cell", AB, "wish of harm")], 6),
    Held("rotherham-iopc-report", "Trev",
         "Absolute scumbag councillors, the lot of them. Vermin.",
         {AB: 0.91, VI: 0.02}, [f"{AB}: insult"],
         [("scumbag", AB, "insult"), ("Vermin", AB, "dehumanising")], 15),
    Held("rotherham-iopc-report", "northern_lass",
         "@Darren_W you're a thick idiot if you believe a word of the IOPC report.",
         {AB: 0.77, VI: 0.04}, [f"{AB}: insult"],
         [("thick idiot", AB, "insult")], 44),
    Held("rotherham-council-apology", "Kev B",
         "Go back to where you came from, your lot ruined this town.",
         {AB: 0.86, VI: 0.02}, [f"{AB}: hostility to a group"],
         [("Go back to where you came from", AB, "hostility")], 52),
    Held("rotherham-council-apology", "S. Oyelaran",
         "Useless council covered it up for years. Disgusting, every one of them should resign.",
         {AB: 0.62, VI: 0.01}, [f"{AB}: score 0.62"], [], 63),
    Held("rotherham-grooming-trial", "Ann Whitby",
         "Whoever leaked the girl's photo to the local paper should be prosecuted, not the "
         "reporter.",
         {VI: 0.61, AB: 0.09}, [f"{VI}: photo"], [("the girl's photo", VI, "photo")], 75),
    Held("rotherham-iopc-report", "spam_bot_99", XSS_TEXT,
         {AB: 0.55, VI: 0.01}, [f"{AB}: score 0.55"], [], 90),
]


def seed_held(comments: CommentStore, items: list[Held] = ROTHERHAM,
              tenant: str = "default") -> list[str]:
    """Store each comment as the worker would leave a held one; returns their ids in order."""
    ids = []
    now = time.time()
    for n, item in enumerate(items):
        created = comments.create(tenant=tenant, article_id=item.article_id, text=item.text,
                                  author_id=f"reader-{n}", author_name=item.author)
        # The age shows on the page ("12 min ago"); the record's created time drives it.
        created_at = now - item.age_minutes * 60
        comments.redis.hset(comments.keys.comment(created.id), "created", repr(created_at))
        changed = comments.transition(
            created.id, tenant=tenant, article_id=item.article_id, expected="pending",
            new_status="held",
            fields={"scores": item.scores, "reasons": item.reasons, "spans": item.spans(),
                    "model_version": "test-seed", "decided": repr(now), "decided_by": "model"},
            event="scored",
            event_data={"by": "model", "status": "held", "reasons": item.reasons,
                        "scores": item.scores, "model_version": "test-seed"},
            priority=hold_priority(item.scores, item.reasons,
                                   int(comments.redis.hget(comments.keys.comment(created.id), "seq"))),
        )
        assert changed == 1
        ids.append(created.id)
    return ids
