"""The page's view of the moderation store: one place that adapts its calls and errors.

The page and the JSON API share ``storage.moderation.ModerationStore``, so a
claim taken on the page holds against the API and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.moderation_store import moderation_store
from storage import dsa, moderation

REASON_CODES = moderation.REASON_CODES
MAX_NOTE_CHARS = moderation.MAX_NOTE_CHARS
InvalidCursor = moderation.InvalidCursor
_ERRORS = (moderation.ClaimConflict, moderation.DecisionConflict, moderation.NotFound,
           moderation.InvalidDecision, moderation.ReviewPending)


REVIEW_ERRORS = (*_ERRORS, dsa.NoticeError, dsa.NotFound)


@dataclass
class DecisionError(Exception):
    """A decision the page could not make, with the status and stable code it shows."""

    status: int
    code: str
    message: str


def store() -> moderation.ModerationStore:
    return moderation_store()


def translate(exc: Exception) -> DecisionError:
    """The page's error for a store exception."""
    return _translate(exc)


def _translate(exc: Exception) -> DecisionError:
    if isinstance(exc, moderation.ClaimConflict):
        return DecisionError(409, "claimed_by_other",
                             f"{exc.holder} is reviewing this comment; it was left unchanged.")
    if isinstance(exc, moderation.DecisionConflict):
        return DecisionError(409, "already_decided",
                             f"{exc.decided_by or 'Someone else'} decided this comment meanwhile "
                             f"({exc.status}); it was left unchanged.")
    if isinstance(exc, moderation.ReviewPending):
        return DecisionError(409, f"{exc.category}_pending",
                             f"This comment has an open {exc.category}: decide it in the "
                             f"{exc.category.capitalize()}s tab.")
    if isinstance(exc, moderation.NotFound):
        return DecisionError(404, "comment_not_found", "That comment no longer exists.")
    return DecisionError(422, "invalid_decision", str(exc) or "That decision is not allowed.")


def decide(comment_id: str, *, moderator: moderation.Moderator, action: str, reason_code: str,
           note: str | None, expected_status: str | None = None) -> dict[str, Any]:
    try:
        return store().decide(comment_id, moderator=moderator, action=action,
                              reason_code=reason_code, note=note, expected_status=expected_status)
    except _ERRORS as exc:
        raise _translate(exc) from exc


def decide_many(ids: list[str], *, moderator: moderation.Moderator, action: str, reason_code: str,
                note: str | None) -> list[dict[str, Any]]:
    try:
        return store().decide_many(ids, moderator=moderator, action=action,
                                   reason_code=reason_code, note=note)
    except _ERRORS as exc:
        raise _translate(exc) from exc
