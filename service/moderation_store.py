"""The moderators' store as the API and the page use it: decisions also go out as webhooks."""

from __future__ import annotations

from flask import current_app

from core.metrics import record_decision
from storage.dsa import count_decisions
from storage.moderation import ModerationStore
from worker.webhooks import emit_decisions


def moderation_store() -> ModerationStore:
    rt = current_app.extensions["moderation"]

    def on_decided(records: list[dict]) -> None:
        for record in records:
            record_decision("moderator", record["status"], record.get("reasons") or [])
        # Transparency counts (DSA Art. 15/24) of moderators' decisions.
        pipe = rt.redis.pipeline(transaction=False)
        count_decisions(rt.keys, pipe, records)
        if len(pipe):
            pipe.execute()
        emit_decisions(rt.redis, rt.keys, rt.settings, records)

    return ModerationStore(rt.redis, rt.keys, rt.comments, rt.settings, on_decided=on_decided)
