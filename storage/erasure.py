"""Personal data: erase an author on request, purge old comments on a schedule.

Erasure removes what identifies or quotes a reader (comment texts, their name,
model evidence excerpts, moderators' free-text notes, readers' report reasons,
labelled training examples, ids derived from the text) and keeps what the
service needs to stay accountable: each comment's id, status, scores, reasons,
who decided and when, and the author's counters and ban. The author id stays on
records: it is the site's own pseudonymous reference, and bans and counters
hang on it.

Finding an author's comments: every comment stored with an author is added to
the author's ``stored`` index by the same script that writes the record (the
API, Perspective and Coral paths alike, pending ones included); comments
decided before that index existed are in the author's counted index. Erasure
reads those indexes only, so its cost is proportional to the author's comments,
not to the store, and it runs in chunks of a few pipelined round trips.

Purging deletes a comment whole (record, history with its report reasons,
reports, indexes, example): decided comments some time after their decision,
comments still pending (never scored: a failed job) the same time after they
were posted. The author's counters are not decremented. Every step is
idempotent, so an interrupted run is finished by the next one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote

from redis import Redis
from redis.exceptions import WatchError

from core.tenants import tenant_of
from storage.comments import CONTENT_ID_PREFIX, INLINE_EVENTS, CommentStore
from storage.keys import Keys

ERASED = "[erased]"
# Record fields that hold the reader's words or name, or excerpts of them.
_RECORD_FIELDS = ("text", "author_name", "evidence", "decision_note")
# History event keys that may carry the same.
_EVENT_FIELDS = ("text", "name", "author_name", "note", "evidence", "excerpt")
# A reader's report reason is free text about the comment and often quotes it.
_REPORT_EVENT = "reported"
_SCAN_BATCH = 500
# Comments erased per round of pipelines: bounded memory and transaction size.
_CHUNK = 200


@dataclass
class ErasureReport:
    author_id: str
    tenant: str
    comments: int = 0
    texts_erased: int = 0
    names_erased: int = 0
    history_events_redacted: int = 0
    examples_deleted: int = 0
    pending_withdrawn: int = 0
    profile_fields_erased: int = 0
    notice_texts_erased: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PurgeReport:
    scanned: int = 0
    purged: int = 0
    pending_purged: int = 0
    cutoff: float = 0.0
    dsa_purged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuthorKeys(NamedTuple):
    """Where one author's data lives: the indexes of their comments, profile and audit."""

    indexes: tuple[str, ...]
    profile: str
    audit: str


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


def _redact_event(event: dict[str, Any], needles: list[str]) -> tuple[dict[str, Any], bool]:
    new, changed = _redact(event, needles)
    # A part of the text quoted in a report is no needle: every report reason goes.
    if new.get("event") == _REPORT_EVENT and new.get("reason") not in (None, "", ERASED):
        new = {**new, "reason": ERASED}
        changed = True
    return new, changed


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8", errors="replace") if value is not None else None


class Eraser:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.comments = CommentStore(redis, keys)

    # Finding comments ---------------------------------------------------------
    def author_keys(self, tenant: str, author_id: str) -> AuthorKeys:
        """One tenant's author's keys (author ids are each site's own: the same id under
        another tenant is someone else, with keys of their own)."""
        k = self.keys.tenant(tenant)
        return AuthorKeys(indexes=(k.author_stored(author_id), k.author_comments(author_id)),
                          profile=k.author(author_id), audit=k.author_audit(author_id))

    def comments_in(self, indexes: Sequence[str]) -> list[str]:
        """Comment ids listed in any of the author indexes (one round trip)."""
        pipe = self.redis.pipeline(transaction=False)
        for index in indexes:
            pipe.zrange(index, 0, -1)
        return sorted({m.decode() for members in pipe.execute() for m in members})

    def _comment_keys(self) -> Iterator[list[str]]:
        """Batches of comment ids, from a SCAN over the comment record keys (retention only)."""
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

    # Erasure ------------------------------------------------------------------
    def erase_author(self, tenant: str, author_id: str, *, by: str) -> ErasureReport:
        """Erase one tenant's author's texts and name everywhere; returns what was erased."""
        return self.erase_indexed(tenant, author_id, self.author_keys(tenant, author_id), by=by)

    def erase_indexed(self, tenant: str, author_id: str, where: AuthorKeys, *, by: str
                      ) -> ErasureReport:
        """Erase the comments listed in ``where.indexes`` that belong to ``author_id`` of
        ``tenant``, and the author's profile: work in proportion to the author's comments,
        whatever the store holds."""
        report = ErasureReport(author_id=author_id, tenant=tenant)
        from storage.dsa import DsaStore

        dsa = DsaStore(self.redis, self.keys)
        for chunk in _chunks(self.comments_in(where.indexes), _CHUNK):
            self._erase_chunk(tenant, author_id, chunk, by, report)
            # Notices quoting the comments and the author's appeal statements (DSA).
            report.notice_texts_erased += dsa.erase_for_comments(chunk, tenant=tenant,
                                                                 author_id=author_id)
        report.profile_fields_erased = self._erase_profile(where)
        return report

    def _erase_chunk(self, tenant: str, author_id: str, ids: Sequence[str], by: str,
                     report: ErasureReport) -> None:
        k = self.keys
        own = k.tenant(tenant)
        fields = ["author_id", "status", "article_id", "text", "author_name", "external_id",
                  "tenant"]
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.hmget(k.comment(cid), fields)
        mine = []
        for cid, values in zip(ids, pipe.execute(), strict=True):
            owner, status, article_id, text, name, external_id, owner_tenant = (
                _text(v) for v in values)
            # Gone (purged), or an index entry that is not this author's: not ours to erase.
            if status is None or owner != author_id or tenant_of({"tenant": owner_tenant}) != tenant:
                continue
            mine.append((cid, status, article_id or "", text, name, external_id))
        if not mine:
            return
        report.comments += len(mine)
        now = time.time()

        pending = [m for m in mine if m[1] == "pending"]
        if pending:
            # Nothing left to score or publish: withdrawn, as a recorded decision.
            pipe = self.redis.pipeline(transaction=False)
            for cid, _, article_id, *_ in pending:
                self.comments.transition(
                    cid, tenant=tenant, article_id=article_id, expected="pending",
                    new_status="rejected",
                    fields={"reasons": ["author_erased"], "decided": repr(now),
                            "decided_by": "erasure"},
                    event="withdrawn", event_data={"by": by, "reason": "author_erased"}, pipe=pipe,
                )
            report.pending_withdrawn += sum(1 for r in pipe.execute() if r == 1)

        history_keys = [k.history(m[0]) for m in mine]
        erased_event = json.dumps({"event": "erased", "at": now, "by": by}, separators=(",", ":"))
        while True:
            with self.redis.pipeline() as tx:
                try:
                    # An event appended between the read and the rewrite (a moderator's
                    # decision, a report) fails the transaction, and the chunk is redone.
                    tx.watch(*history_keys, *(k.comment(m[0]) for m in mine))
                    reads = self.redis.pipeline(transaction=False)
                    for key in history_keys:
                        reads.lrange(key, 0, -1)
                    for m in mine:
                        # The first events are fields of the record (CommentStore.history).
                        reads.hmget(k.comment(m[0]), list(INLINE_EVENTS))
                    results_read = reads.execute()
                    histories = results_read[:len(mine)]
                    inline = results_read[len(mine):]
                    tx.multi()
                    redacted_events = 0
                    example_slots = []
                    for (cid, _, article_id, text, name, external_id), key, raw, fields in zip(
                            mine, history_keys, histories, inline, strict=True):
                        needles = [n for n in (text, name) if n]
                        events, changed = [], 0
                        for entry in raw:
                            new, hit = _redact_event(json.loads(entry), needles)
                            events.append(new)
                            changed += int(hit)
                        if changed:
                            tx.delete(key)
                            tx.rpush(key, *(json.dumps(e, separators=(",", ":")) for e in events))
                            redacted_events += changed
                        record = k.comment(cid)
                        for field, entry in zip(INLINE_EVENTS, fields, strict=True):
                            if entry is None:
                                continue
                            new, hit = _redact_event(json.loads(entry), needles)
                            if hit:
                                tx.hset(record, field, json.dumps(new, separators=(",", ":")))
                                redacted_events += 1
                        tx.hdel(record, *_RECORD_FIELDS)
                        tx.hset(record, "erased", repr(now))
                        example_slots.append(len(tx))
                        tx.hdel(k.examples, cid)
                        tx.rpush(key, erased_event)
                        if external_id and external_id.startswith(CONTENT_ID_PREFIX):
                            # A hash of the text: it could confirm a guess of what was erased.
                            tx.delete(own.external_id(article_id, external_id))
                            tx.hdel(record, "external_id")
                    results = tx.execute()
                    break
                except WatchError:
                    continue
        report.history_events_redacted += redacted_events
        report.examples_deleted += sum(int(results[i]) for i in example_slots)
        report.texts_erased += sum(1 for m in mine if m[3] is not None)
        report.names_erased += sum(1 for m in mine if m[4] is not None)

    def _erase_profile(self, where: AuthorKeys) -> int:
        erased = 0
        pipe = self.redis.pipeline()
        pipe.hdel(where.profile, "name", "fingerprints")
        pipe.hget(where.profile, "ban_reason")
        removed, reason = pipe.execute()
        erased += int(removed)
        if reason is not None and reason.decode() != ERASED:
            self.redis.hset(where.profile, "ban_reason", ERASED)
            erased += 1
        entries = self.redis.lrange(where.audit, 0, -1)
        if entries:
            redacted = []
            for raw in entries:
                event = json.loads(raw)
                if event.get("reason") not in (None, "", ERASED):
                    event["reason"] = ERASED
                    erased += 1
                redacted.append(json.dumps(event, separators=(",", ":")))
            pipe = self.redis.pipeline()
            pipe.delete(where.audit)
            pipe.rpush(where.audit, *redacted)
            pipe.execute()
        return erased

    # Retention ----------------------------------------------------------------
    def purge_older_than(self, cutoff: float) -> PurgeReport:
        """Delete every comment decided before ``cutoff`` (epoch s), and every comment still
        pending that was posted before it (its text must not outlive the others'): two
        pipelined round trips per batch of the scan, one read and one of deletes."""
        report = PurgeReport(cutoff=cutoff)
        fields = ["status", "decided", "created", "article_id", "author_id", "external_id",
                  "tenant"]
        for batch in self._comment_keys():
            pipe = self.redis.pipeline(transaction=False)
            for cid in batch:
                pipe.hmget(self.keys.comment(cid), fields)
            deletes = self.redis.pipeline(transaction=False)
            for cid, values in zip(batch, pipe.execute(), strict=True):
                report.scanned += 1
                status, decided, created, article_id, author_id, external_id, tenant = (
                    _text(v) for v in values)
                if status is None:
                    continue
                stamp = created if status == "pending" else decided
                if stamp is None or float(stamp) >= cutoff:
                    continue
                # The script checks the age again: this read may be stale by then.
                self.comments.purge(cid, tenant=tenant_of({"tenant": tenant}),
                                    article_id=article_id or "", author_id=author_id,
                                    external_id=external_id, cutoff=cutoff, pipe=deletes)
            for outcome in deletes.execute() if len(deletes) else ():
                report.purged += int(outcome > 0)
                report.pending_purged += int(outcome == 2)
        return report
