"""Personal data: erase an author on request, purge old decided comments on a schedule.

Erasure removes what identifies or quotes a reader (comment texts, their name,
model evidence excerpts, moderators' free-text notes, labelled training
examples) and keeps what the service needs to stay accountable: each
comment's id, status, scores, reasons, who decided and when, and the author's
counters and ban. The author id stays on records: it is the site's own
pseudonymous reference, and bans and counters hang on it.

Finding an author's comments: the author index holds the decided ones; the
comment records are also scanned, so a comment still pending (or handed to
its own retry job) is found too. Erasure is rare, so completeness wins over
cost (one SCAN over the comment keys).

Purging deletes a decided comment whole (record, history, reports, indexes,
example); the author's counters are not decremented. Every step is idempotent,
so an interrupted run is finished by the next one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote

from redis import Redis
from redis.exceptions import WatchError

from storage.comments import CommentStore
from storage.keys import Keys

ERASED = "[erased]"
# Record fields that hold the reader's words or name, or excerpts of them.
_RECORD_FIELDS = ("text", "author_name", "evidence", "decision_note")
# History event keys that may carry the same.
_EVENT_FIELDS = ("text", "name", "author_name", "note", "evidence", "excerpt")
_SCAN_BATCH = 500


@dataclass
class ErasureReport:
    author_id: str
    comments: int = 0
    texts_erased: int = 0
    names_erased: int = 0
    history_events_redacted: int = 0
    examples_deleted: int = 0
    pending_withdrawn: int = 0
    profile_fields_erased: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PurgeReport:
    scanned: int = 0
    purged: int = 0
    cutoff: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _redact(value: Any, needles: list[str]) -> tuple[Any, bool]:
    """The value with every string that contains one of ``needles`` replaced."""
    if isinstance(value, str):
        if any(n and n in value for n in needles):
            return ERASED, True
        return value, False
    if isinstance(value, list):
        changed = False
        out = []
        for item in value:
            new, hit = _redact(item, needles)
            out.append(new)
            changed = changed or hit
        return out, changed
    if isinstance(value, dict):
        changed = False
        out_d = {}
        for key, item in value.items():
            if key in _EVENT_FIELDS and item not in (None, "", ERASED):
                out_d[key] = ERASED
                changed = True
                continue
            new, hit = _redact(item, needles)
            out_d[key] = new
            changed = changed or hit
        return out_d, changed
    return value, False


class Eraser:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.comments = CommentStore(redis, keys)

    # Finding comments ---------------------------------------------------------
    def _comment_keys(self) -> Iterator[list[str]]:
        """Batches of comment ids, from a SCAN over the comment record keys."""
        prefix = self.keys.comment("")
        batch: list[str] = []
        for raw in self.redis.scan_iter(match=prefix + "*", count=1000, _type="HASH"):
            cid = raw.decode()[len(prefix):]
            if ":" in cid:  # history, reports: not records
                continue
            batch.append(unquote(cid))
            if len(batch) >= _SCAN_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def comments_of(self, author_id: str) -> list[str]:
        found = {m.decode() for m in self.redis.zrange(self.keys.author_comments(author_id), 0, -1)}
        for batch in self._comment_keys():
            pipe = self.redis.pipeline(transaction=False)
            for cid in batch:
                pipe.hget(self.keys.comment(cid), "author_id")
            for cid, owner in zip(batch, pipe.execute(), strict=True):
                if owner is not None and owner.decode() == author_id:
                    found.add(cid)
        return sorted(found)

    # Erasure ------------------------------------------------------------------
    def erase_author(self, author_id: str, *, by: str) -> ErasureReport:
        """Erase the author's texts and name everywhere; returns what was erased."""
        report = ErasureReport(author_id=author_id)
        for cid in self.comments_of(author_id):
            self._erase_comment(cid, by, report)
        report.profile_fields_erased = self._erase_profile(author_id)
        return report

    def _erase_comment(self, cid: str, by: str, report: ErasureReport) -> None:
        key = self.keys.comment(cid)
        record = self.redis.hmget(key, ["status", "article_id", "text", "author_name"])
        status, article_id, text, name = (v.decode() if v is not None else None for v in record)
        if status is None:
            return
        report.comments += 1
        now = time.time()
        if status == "pending":
            # Nothing left to score or publish: withdrawn, as a recorded decision.
            changed = self.comments.transition(
                cid, article_id=article_id or "", expected="pending", new_status="rejected",
                fields={"reasons": ["author_erased"], "decided": repr(now),
                        "decided_by": "erasure"},
                event="withdrawn", event_data={"by": by, "reason": "author_erased"},
            )
            report.pending_withdrawn += int(changed == 1)
        needles = [n for n in (text, name) if n]
        report.history_events_redacted += self._redact_history(cid, needles)
        pipe = self.redis.pipeline()
        pipe.hdel(key, *_RECORD_FIELDS)
        pipe.hset(key, "erased", repr(now))
        pipe.hdel(self.keys.examples, cid)
        pipe.rpush(self.keys.history(cid),
                   json.dumps({"event": "erased", "at": now, "by": by}, separators=(",", ":")))
        deleted, _, examples, _ = pipe.execute()
        report.texts_erased += int(text is not None)
        report.names_erased += int(name is not None)
        report.examples_deleted += int(examples)

    def _redact_history(self, cid: str, needles: list[str]) -> int:
        key = self.keys.history(cid)
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    events = [json.loads(e) for e in pipe.lrange(key, 0, -1)]
                    redacted, changed = [], 0
                    for event in events:
                        new, hit = _redact(event, needles)
                        redacted.append(new)
                        changed += int(hit)
                    if not changed:
                        pipe.unwatch()
                        return 0
                    pipe.multi()
                    pipe.delete(key)
                    pipe.rpush(key, *(json.dumps(e, separators=(",", ":")) for e in redacted))
                    pipe.execute()
                    return changed
                except WatchError:
                    continue  # an event was appended meanwhile: redo with it

    def _erase_profile(self, author_id: str) -> int:
        key = self.keys.author(author_id)
        erased = 0
        pipe = self.redis.pipeline()
        pipe.hdel(key, "name")
        pipe.hget(key, "ban_reason")
        removed, reason = pipe.execute()
        erased += int(removed)
        if reason is not None and reason.decode() != ERASED:
            self.redis.hset(key, "ban_reason", ERASED)
            erased += 1
        audit_key = self.keys.author_audit(author_id)
        entries = self.redis.lrange(audit_key, 0, -1)
        if entries:
            redacted = []
            for raw in entries:
                event = json.loads(raw)
                if event.get("reason") not in (None, "", ERASED):
                    event["reason"] = ERASED
                    erased += 1
                redacted.append(json.dumps(event, separators=(",", ":")))
            pipe = self.redis.pipeline()
            pipe.delete(audit_key)
            pipe.rpush(audit_key, *redacted)
            pipe.execute()
        return erased

    # Retention ----------------------------------------------------------------
    def purge_decided_before(self, cutoff: float) -> PurgeReport:
        """Delete every decided comment whose decision is older than ``cutoff`` (epoch s)."""
        report = PurgeReport(cutoff=cutoff)
        fields = ["status", "decided", "article_id", "author_id", "external_id"]
        for batch in self._comment_keys():
            pipe = self.redis.pipeline(transaction=False)
            for cid in batch:
                pipe.hmget(self.keys.comment(cid), fields)
            for cid, values in zip(batch, pipe.execute(), strict=True):
                report.scanned += 1
                status, decided, article_id, author_id, external_id = (
                    v.decode() if v is not None else None for v in values)
                if status in (None, "pending") or decided is None or float(decided) >= cutoff:
                    continue
                self._purge(cid, article_id or "", author_id, external_id)
                report.purged += 1
        return report

    def _purge(self, cid: str, article_id: str, author_id: str | None,
               external_id: str | None) -> None:
        k = self.keys
        pipe = self.redis.pipeline()
        pipe.delete(k.comment(cid), k.history(cid), k.reports(cid), k.claim(cid))
        for status in (None, "approved", "held", "rejected", "pending"):
            pipe.zrem(k.article_comments(article_id, status), cid)
        pipe.zrem(k.held_queue, cid)
        pipe.zrem(k.pending, cid)
        pipe.hdel(k.attempts, cid)
        pipe.hdel(k.examples, cid)
        if author_id:
            pipe.zrem(k.author_comments(author_id), cid)
        if external_id:
            pipe.delete(k.external_id(article_id, external_id))
        pipe.execute()
