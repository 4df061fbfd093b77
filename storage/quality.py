"""Live quality counters: what the model decided, what moderators said of it, spot checks.

Counters live in one hash per tenant and UTC day (``TenantKeys.quality_day``),
fields ``{version}|{counter}``, so a figure for any range of days, tenants and
model versions is a sum of a few hashes, never a scan of comments. Every
increment rides on a pipeline that is written anyway:

- a scoring worker counts the decisions its batches made (decisions, holds per
  category, spot checks drawn, time to decision: ``batch_counts``), only those its
  decide scripts said were stored, so a comment two workers scored at once counts
  once; it adds them up in memory and writes them at most once a second and when
  its job ends (worker/tallies.py: a worker that dies loses at most that second's
  counters, never a decision). Each spot check drawn (about 2 % of approvals) is
  queued in the batch's own round trip by a ``_SPOT`` script that checks the
  comment's ``decided`` stamp is this batch's;
- a moderator's decision adds its counters inside the decision's transaction
  (``queue_decided``), only for the first human decision after the model's.

The day and version a counter is filed under are the model decision's, so a
moderator's answer next week still counts for the comments the model decided
today. Counter names (per version):

``comments approved held rejected``: the model's decisions; ``hold:{cat}``: holds with a
reason of that category; ``sampled``: spot checks drawn; ``approved_p``: sum of the
inclusion probabilities over approved comments (the expected draw);
``reviewed overturned``: first human decisions on the model's decisions and how many
disagreed; ``reviewed:{cat} confirmed:{cat}``: of holds; ``checked checked_w checked_w2
missed missed_w missed:{code}``: answered spot checks, sums of their weights 1/p and
squared weights, those rejected; ``tm:{bucket} tp:{bucket}``: time-to-decision
histograms of the model (posting to decision) and of people (posting to a moderator's
decision of a held comment).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from redis import Redis

from core import quality
from core.tenants import ALL_TENANTS, tenant_of
from storage import scripts
from storage.comments import QUEUE_INDEX_LUA, queue_index_keys
from storage.keys import Keys
from storage.settings_version import queue_bump

SPOT_CHECK = "spot_check"
# Reasons that are not the model's or a policy's hold (a reader's report queues a comment
# without it being held): not counted as a hold category.
_NOT_HOLDS = ("reader_report", SPOT_CHECK)
# Queue priority of spot checks: after every hold (hold_priority's largest is below
# 202 * 10**13), oldest first; still exact as a float.
_SPOT_TIER = 303 * 10**13
NO_VERSION = "none"
MAX_DAYS = 366

_SPOT = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, then the 6 queue index keys
-- ARGV: id, stamp, probability, priority, reason, history_event
-- Queues an approved comment for a spot check if this batch's decision is the one stored.
local f = redis.call('HMGET', KEYS[1], 'decided', 'status')
if f[1] ~= ARGV[2] or f[2] ~= 'approved' then return 0 end
local raw = redis.call('HGET', KEYS[1], 'reasons')
local reasons = {}
if raw then reasons = cjson.decode(raw) end
reasons[#reasons + 1] = ARGV[5]
redis.call('HSET', KEYS[1], 'reasons', cjson.encode(reasons), 'spot_check_p', ARGV[3])
index_held({KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]}, KEYS[1], ARGV[1],
           ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[6])
return 1
"""


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def hold_categories(reasons: Iterable[str]) -> list[str]:
    """The categories a comment was held for (one each; not reports or spot checks)."""
    out: list[str] = []
    for reason in reasons:
        category = reason.split(":", 1)[0].strip()
        if category and category not in _NOT_HOLDS and category not in out:
            out.append(category)
    return out


def label_source(record: dict[str, Any], near_band: float) -> str:
    """Where a moderator's label on ``record`` comes from, for the training summary:
    ``spot_check`` (a drawn check of an approval), ``near_threshold`` (scored within
    ``near_band`` of a hold threshold, either side), ``reader_report`` (a published
    comment readers reported), else ``queue`` (a hold far from the thresholds)."""
    if record.get("spot_check_p"):
        return SPOT_CHECK
    margin = record.get("margin")
    try:
        if margin is not None and abs(float(margin)) <= near_band:
            return "near_threshold"
    except ValueError:
        pass
    if record.get("status") == "approved":
        return "reader_report"
    return "queue"


def spot_check_priority(seq: int) -> float:
    return float(_SPOT_TIER + int(seq))


class QualityStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._spot = redis.register_script(_SPOT)

    # Writes of the worker's batches ----------------------------------------------------
    def batch_counts(self, decided_at: float, version: str | None,
                     outcomes: Sequence[dict[str, Any]]) -> tuple[dict[tuple[str, str], float],
                                                                 set[str]]:
        """The counters of a batch's model decisions (``outcomes``: record fields plus
        ``status``, ``reasons``, ``spot_check_p`` (or None) and ``approved_p``), each the
        decision stored (the decide scripts said so): ((hash key, field) -> increment, the
        tenants counted). A scoring worker adds up several batches' before it writes them
        (``queue_counts``; worker/tallies.py)."""
        version = version or NO_VERSION
        day = day_of(decided_at)
        sums: dict[tuple[str, str], float] = defaultdict(float)
        tenants: set[str] = set()
        for outcome in outcomes:
            tenant = tenant_of(outcome)
            tenants.add(tenant)
            key = self.keys.tenant(tenant).quality_day(day)
            counts: dict[str, float] = {"comments": 1, outcome["status"]: 1}
            if outcome["status"] == "held":
                for category in hold_categories(outcome["reasons"]):
                    counts[f"hold:{category}"] = 1
            if outcome["status"] == "approved":
                counts["approved_p"] = float(outcome.get("approved_p") or 0.0)
            if outcome.get("spot_check_p"):
                counts["sampled"] = 1
            bucket = quality.time_bucket(decided_at - float(outcome.get("created") or decided_at))
            counts[f"tm:{bucket}"] = 1
            for name, value in counts.items():
                sums[(key, f"{version}|{name}")] += value
        return dict(sums), tenants

    def queue_counts(self, pipe: Any, counts: dict[tuple[str, str], float],
                     tenants: Iterable[str]) -> None:
        """Queue ``batch_counts``' increments (summed over any number of batches) on ``pipe``:
        one command per counter and per tenant."""
        for (key, field), value in sorted(counts.items()):
            # Sums of probabilities ('_p') are fractional; every other counter is a count.
            if field.endswith("_p"):
                pipe.hincrbyfloat(key, field, value)
            elif value:
                pipe.hincrby(key, field, int(value))
        for tenant in sorted(set(tenants)):
            pipe.sadd(self.keys.quality_tenants, tenant)

    def queue_spot_checks(self, pipe: Any, stamp: str, decided_at: float,
                          outcomes: Sequence[dict[str, Any]]) -> None:
        """Queue the spot checks drawn among ``outcomes`` (those with ``spot_check_p``) on
        ``pipe``; each checks that the stored decision is this batch's (``stamp``: its
        ``decided`` value). Plain EVALSHAs: the caller runs ``pipe`` with
        storage.scripts.execute."""
        for outcome in outcomes:
            probability = outcome.get("spot_check_p")
            if not probability:
                continue
            tenant = tenant_of(outcome)
            event = json.dumps({"event": "spot_check", "at": decided_at, "by": "model",
                                "probability": probability}, separators=(",", ":"))
            scripts.queue(
                self._spot, pipe,
                [self.keys.comment(outcome["id"]), self.keys.history(outcome["id"]),
                 *queue_index_keys(self.keys, tenant, outcome.get("article_id") or "")],
                [outcome["id"], stamp, repr(float(probability)),
                 repr(spot_check_priority(outcome.get("seq") or 0)), SPOT_CHECK, event],
            )

    # Writes in a moderator's decision transaction ------------------------------------
    def queue_decided(self, pipe: Any, record: dict[str, Any], *, action: str, reason_code: str,
                      now: float) -> None:
        """Count a moderator's decision on ``record`` (as it was before it): only the first
        human decision after the model's counts, filed under the model decision's day."""
        if record.get("decided_by") != "model" or record.get("decided") is None:
            return
        status = record.get("status")
        reject = action == "reject"
        counts: dict[str, float] = {}
        if status == "held":
            counts.update(reviewed=1, overturned=0 if reject else 1)
            for category in hold_categories(record.get("reasons") or []):
                counts[f"reviewed:{category}"] = 1
                if reject:
                    counts[f"confirmed:{category}"] = 1
            waited = now - float(record.get("created") or now)
            counts[f"tp:{quality.time_bucket(waited)}"] = 1
        elif status == "rejected":
            counts.update(reviewed=1, overturned=0 if reject else 1)
        elif status == "approved" and record.get("spot_check_p"):
            weight = 1.0 / float(record["spot_check_p"])
            counts.update(reviewed=1, overturned=1 if reject else 0, checked=1,
                          checked_w=weight, checked_w2=weight * weight)
            if reject:
                counts.update(missed=1, missed_w=weight)
                counts[f"missed:{reason_code}"] = 1
        if not counts:
            return
        version = record.get("model_version") or NO_VERSION
        tenant = tenant_of(record)
        key = self.keys.tenant(tenant).quality_day(day_of(float(record["decided"])))
        for name, value in counts.items():
            if not value:
                continue
            if isinstance(value, float):
                pipe.hincrbyfloat(key, f"{version}|{name}", value)
            else:
                pipe.hincrby(key, f"{version}|{name}", value)
        pipe.sadd(self.keys.quality_tenants, tenant)

    # Reading ---------------------------------------------------------------------------
    def tenants(self) -> list[str]:
        return sorted(t.decode() if isinstance(t, bytes) else t
                      for t in self.redis.smembers(self.keys.quality_tenants))

    def counters(self, tenants: Sequence[str], first: date, last: date
                 ) -> dict[str, dict[str, dict[str, float]]]:
        """day -> version -> counter -> value, summed over ``tenants`` (one round trip)."""
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        pipe = self.redis.pipeline(transaction=False)
        for tenant in tenants:
            for day in days:
                pipe.hgetall(self.keys.tenant(tenant).quality_day(day))
        raw = pipe.execute()
        out: dict[str, dict[str, dict[str, float]]] = {}
        for n, fields in enumerate(raw):
            day = days[n % len(days)]
            for field, value in fields.items():
                version, _, name = field.decode().rpartition("|")
                bucket = out.setdefault(day, {}).setdefault(version, defaultdict(float))
                bucket[name] += float(value)
        return out

    # The per-tenant spot-check rate ----------------------------------------------------
    def rate_override(self, tenant: str) -> float | None:
        raw = self.redis.hget(self.keys.tenant(tenant).spot_check_policy, "rate")
        return float(raw) if raw is not None else None

    def set_rate(self, tenant: str, rate: float | None, *, by: str, key_id: str | None) -> None:
        """Set (or with None clear) the tenant's spot-check rate, audited."""
        own = self.keys.tenant(tenant)
        old = self.rate_override(tenant)
        event = json.dumps({"at": time.time(), "by": by, "key_id": key_id, "tenant": tenant,
                            "old": old, "new": rate}, separators=(",", ":"))
        pipe = self.redis.pipeline()
        if rate is None:
            pipe.hdel(own.spot_check_policy, "rate")
        else:
            pipe.hset(own.spot_check_policy, "rate", repr(float(rate)))
        pipe.lpush(own.spot_check_audit, event)
        pipe.ltrim(own.spot_check_audit, 0, 199)
        # Workers read the rate again on their next batch.
        queue_bump(pipe, self.keys)
        pipe.execute()

    def rate_audit(self, tenant: str, limit: int = 20) -> list[dict[str, Any]]:
        return [json.loads(e) for e in
                self.redis.lrange(self.keys.tenant(tenant).spot_check_audit, 0, limit - 1)]


def summarize(counters: dict[str, float]) -> dict[str, Any]:
    """The figures of one set of counters (a day, a version, a range): see docs/MODERATION.md."""
    c = defaultdict(float, counters)
    estimate, interval, n_eff = quality.miss_rate(c["checked_w"], c["checked_w2"], c["missed_w"])
    categories: dict[str, dict[str, Any]] = {}
    for name in c:
        kind, _, category = name.partition(":")
        if kind in ("hold", "reviewed", "confirmed") and category:
            categories.setdefault(category, {})
    for category, entry in sorted(categories.items()):
        reviewed = int(c[f"reviewed:{category}"])
        confirmed = int(c[f"confirmed:{category}"])
        entry.update(holds=int(c[f"hold:{category}"]), reviewed=reviewed, confirmed=confirmed,
                     precision=confirmed / reviewed if reviewed else None)
    comments = int(c["comments"])
    reviewed = int(c["reviewed"])
    return {
        "comments": comments,
        "approved": int(c["approved"]),
        "held": int(c["held"]),
        "rejected": int(c["rejected"]),
        "holds_per_1000": 1000.0 * c["held"] / comments if comments else None,
        "spot_checks": {
            "sampled": int(c["sampled"]),
            "expected": round(c["approved_p"], 3),
            "checked": int(c["checked"]),
            "missed": int(c["missed"]),
            "miss_rate": estimate,
            "interval": list(interval) if interval else None,
            "effective_n": round(n_eff, 3),
            "missed_by_reason": {name.split(":", 1)[1]: int(v) for name, v in sorted(c.items())
                                 if name.startswith("missed:") and v},
        },
        "categories": categories,
        "reviewed": reviewed,
        "overturned": int(c["overturned"]),
        "overturn_rate": c["overturned"] / reviewed if reviewed else None,
        "time_to_decision": {
            "model_median_seconds": quality.median_seconds(_histogram(c, "tm:")),
            "people_median_seconds": quality.median_seconds(_histogram(c, "tp:")),
        },
    }


def _histogram(counters: dict[str, float], prefix: str) -> dict[int, float]:
    return {int(name[len(prefix):]): value for name, value in counters.items()
            if name.startswith(prefix) and value}


def merge(*parts: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for part in parts:
        for name, value in part.items():
            out[name] += value
    return out


def report(store: QualityStore, tenant: str, first: date, last: date) -> dict[str, Any]:
    """The figures of ``tenant`` (``ALL_TENANTS``: every tenant's summed) over the days
    ``first``..``last``: totals, per model version, and per day."""
    tenants = store.tenants() if tenant == ALL_TENANTS else [tenant]
    raw = store.counters(tenants, first, last) if tenants else {}
    by_version: dict[str, dict[str, float]] = {}
    daily = []
    for n in range((last - first).days + 1):
        day = (first + timedelta(days=n)).isoformat()
        versions = raw.get(day, {})
        for version, counters in versions.items():
            by_version[version] = merge(by_version.get(version, {}), counters)
        daily.append({"day": day, **summarize(merge(*versions.values()))})
    totals = merge(*by_version.values())
    return {
        "tenant": tenant,
        "from": first.isoformat(),
        "to": last.isoformat(),
        **summarize(totals),
        "by_version": {v: summarize(c) for v, c in sorted(by_version.items())},
        "daily": daily,
    }


LIVE_DAYS = 30


def live_by_version(store: QualityStore, tenant: str = ALL_TENANTS, days: int = LIVE_DAYS
                    ) -> dict[str, dict[str, Any]]:
    """Each model version's live figures over the last ``days`` UTC days (every tenant's
    summed by default): what the admin view and the training summary set beside the
    offline ones."""
    last = datetime.now(UTC).date()
    body = report(store, tenant, last - timedelta(days=days - 1), last)
    return body["by_version"]


def live_summary(figures: dict[str, Any] | None) -> dict[str, Any] | None:
    """The headline of a version's live figures (for tables beside offline metrics)."""
    if not figures:
        return None
    spot = figures["spot_checks"]
    return {
        "days": LIVE_DAYS,
        "comments": figures["comments"],
        "miss_rate": spot["miss_rate"],
        "miss_interval": spot["interval"],
        "spot_checks_answered": spot["checked"],
        "precision": {c: e["precision"] for c, e in figures["categories"].items()},
        "overturn_rate": figures["overturn_rate"],
        "holds_per_1000": figures["holds_per_1000"],
    }

