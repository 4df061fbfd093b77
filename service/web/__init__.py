"""The moderators' web page, ``/moderate``: server-rendered, a little JavaScript on top.

Not part of the JSON API (bearer keys, /v1): it signs moderators in with a
session cookie, so every POST here carries a CSRF token (flask-wtf), checked
for this blueprint only. Comment text reaches the browser only through
Jinja's autoescape, and a strict Content-Security-Policy forbids inline
script as a second line of defence.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from core.tenants import ALL_TENANTS, DEFAULT_TENANT, is_tenant
from service import dsa, threads
from service.schemas import ID_PATTERN
from service.web import backend, session
from service.web.highlight import segments
from storage.comments import STATUSES
from storage.dsa import NotFound as DsaNotFound
from storage.dsa import NoticeError

log = logging.getLogger("service.web")

blp = Blueprint("moderate", __name__, url_prefix="/moderate")
csrf = CSRFProtect()

_ID = re.compile(ID_PATTERN)
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages carry reader comments and personal details: keep them out of caches.
    "Cache-Control": "no-store",
}
PAGE_SIZE = 20
# History events one page shows (storage.moderation.MAX_HISTORY_PAGE at most).
HISTORY_PAGE = 200
CATEGORY_LABELS = {
    "victim_identification": "Victim identification",
    "abuse": "Abuse",
    "protected_term": "Protected term",
    "author_history": "Author history",
    "reader_report": "Reader report",
    "premoderated": "Pre-moderated article",
    "notice": "Notice of illegal content",
    "appeal": "Appeal",
    "spot_check": "Spot checks",
    "spam": "Spam (repeats, links)",
    "suspect_word": "Suspect word",
    "new_commenter": "New commenter",
}
# The abuse kinds the queue filters on (model/attributes.py KINDS), and how the page names them.
KIND_LABELS = {
    "threat": "Threat",
    "identity_attack": "Identity attack",
    "insult": "Insult",
    "profanity": "Profanity",
    "severe_toxicity": "Severe toxicity",
    "sexually_explicit": "Sexual",
}
# Queue categories with a tab of their own and a decision form of their own (DSA).
REVIEW_TABS = {"notice": "Notices", "appeal": "Appeals"}
# Every queue tab: the reviews above, and spot checks (approved comments drawn for a second
# look, answered with the ordinary decision buttons).
QUEUE_TABS = {**REVIEW_TABS, "spot_check": "Spot checks"}
REASON_LABELS = {
    "abuse": "Abuse",
    "victim_identification": "Victim identification",
    "legal": "Legal risk",
    "spam": "Spam",
    "off_topic": "Off topic",
    "other": "Other",
}


def _setup(app: Flask) -> None:
    settings = app.config["MODERATION"]
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # /v1 uses bearer keys, not cookies
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", settings.web_session_hours * 3600)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.web_secure_cookie),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web_session_hours),
    )
    csrf.init_app(app)
    app.jinja_env.filters.setdefault("ago", _ago)
    app.jinja_env.filters.setdefault("iso", _iso)


blp.record_once(lambda state: _setup(state.app))


# Hooks -------------------------------------------------------------------------
@blp.before_request
def _protect() -> None:
    if request.method == "POST":
        csrf.protect()
    g.moderator = session.current()


@blp.after_request
def _headers(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _error(status: int, code: str, message: str):
    if _wants_json():
        response = jsonify({"code": code, "message": message, "details": {}})
        response.status_code = status
        return response
    return render_template("moderate/error.html", status=status, code=code, message=message), status


@blp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return _error(400, "csrf_failed",
                  "The form had expired or did not come from this page. Reload and try again.")


@blp.errorhandler(backend.DecisionError)
def _decision_error(error: backend.DecisionError):
    return _error(error.status, error.code, error.message)


@blp.errorhandler(RedisError)
def _redis_error(error: RedisError):
    log.error("redis unavailable", extra={"error_type": type(error).__name__})
    return _error(503, "storage_unavailable", "The comment store is unavailable; try again shortly.")


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    # The description is werkzeug's own text, never request data.
    return _error(error.code or 500, f"http_{error.code}", error.description or error.name)


@blp.errorhandler(Exception)
def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error on the moderator page", extra={"error_type": type(error).__name__})
    return _error(500, "internal_error", "Something went wrong on our side.")


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if g.moderator is None:
            if request.method == "GET" and not _wants_json():
                return redirect(url_for("moderate.login", next=request.full_path.rstrip("?")))
            return _error(401, "signed_out", "Your session has ended; sign in again.")
        return view(*args, **kwargs)

    return wrapper


# Template helpers ----------------------------------------------------------------
def _ago(ts: float | None) -> str:
    if not ts:
        return ""
    seconds = max(0, time.time() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def _reason_category(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


def _default_reason(reasons: list[str]) -> str:
    for reason in reasons:
        category = _reason_category(reason)
        if category in backend.REASON_CODES:
            return category
    return "other"


def _story(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """The article as the card shows it; a link only to http(s) (checked again here, though
    the API accepts no other scheme)."""
    if not meta:
        return None
    url = meta.get("url") or None
    if url and not re.match(r"https?://", url, re.IGNORECASE):
        url = None
    return {"title": meta.get("title"), "url": url, "section": meta.get("section")}


def _thread(record: dict[str, Any], context: dict[str, Any] | None) -> dict[str, Any] | None:
    if not record.get("parent_id") or not context:
        return None

    def one(r: dict[str, Any]) -> dict[str, Any]:
        return {"author": r.get("author_name") or r.get("author_id") or "", "text": r.get("text") or "",
                "status": r.get("status") or ""}

    parent = context.get("parent")
    return {"parent": one(parent) if parent else None,
            "replies": [one(r) for r in context.get("replies", [])],
            "reply_count": int(context.get("reply_count") or 0)}


def _card(record: dict[str, Any], me: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    reasons = list(record.get("reasons") or [])
    holder = record.get("claimed_by")
    holder_id = record.get("claimed_by_key_id")
    return {
        "id": record["id"],
        "status": record.get("status", ""),
        "tenant": record.get("tenant") or "",
        "article_id": record.get("article_id", ""),
        "author": record.get("author_name") or record.get("author_id") or "",
        "author_id": record.get("author_id") or "",
        "created": record.get("created"),
        "segments": segments(record.get("text") or "", record.get("spans")),
        "scores": sorted((record.get("scores") or {}).items(), key=lambda kv: -kv[1]),
        "reasons": [(r, _reason_category(r)) for r in reasons],
        "default_reason": _default_reason(reasons),
        # Claims belong to key ids: a colleague's key of the same name still locks the card.
        "locked_by": holder if holder and holder_id != me else None,
        "notices": [],
        "appeal": None,
        "article": _story((context or {}).get("article")),
        "context": _thread(record, context),
    }


def _with_reviews(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards with their open notices and appeal (read only for cards queued so)."""
    wanted = [c["id"] for c in cards if {"notice", "appeal"} & {cat for _, cat in c["reasons"]}]
    if not wanted:
        return cards
    store = dsa.dsa_store()
    notices, appeals = store.open_notices(wanted), store.open_appeals(wanted)
    for card in cards:
        if card["id"] in notices:
            card["notices"] = notices[card["id"]]
            card["appeal"] = appeals[card["id"]]
    return cards


# Views -------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    # Only back into this page: an attacker's ?next= must not send a moderator elsewhere.
    if target and target.startswith("/moderate") and "//" not in target and "\\" not in target:
        return target
    return url_for("moderate.queue")


@blp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.moderator is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("moderate/login.html", next=request.args.get("next", ""))
    plain = (request.form.get("api_key") or "").strip()
    rt = current_app.extensions["moderation"]
    key = rt.api_keys.authenticate(plain) if plain else None
    if key is None or not session.may_moderate(key.role):
        log.info("moderator sign-in refused", extra={"known_key": key is not None})
        message = ("That key is not a moderator or admin key." if key is not None
                   else "Unknown or revoked key.")
        return render_template("moderate/login.html", error=message,
                               next=request.form.get("next", "")), 401
    session.sign_in(session.Moderator(key_id=key.id, name=key.name, role=key.role))
    log.info("moderator signed in", extra={"key_id": key.id})
    return redirect(_safe_next(request.form.get("next")))


@blp.route("/logout", methods=["POST"])
def logout():
    session.sign_out()
    flash("Signed out.", "info")
    return redirect(url_for("moderate.login"))


def _filters() -> tuple[dict[str, Any], list[str]]:
    """The queue filters from the query string, and a note for each one ignored as invalid."""
    args = request.args
    problems: list[str] = []
    tenant = (args.get("tenant") or "").strip() or None
    if tenant and (g.moderator.tenant != ALL_TENANTS or not is_tenant(tenant)):
        # Only an all-tenants moderator picks a title; others always see their own.
        if g.moderator.tenant == ALL_TENANTS:
            problems.append("That is not a tenant id.")
        tenant = None
    article = (args.get("article") or "").strip() or None
    if article and not _ID.fullmatch(article):
        problems.append("The article id has characters an id never has.")
        article = None
    category = (args.get("category") or "").strip() or None
    if category and not re.fullmatch(r"[a-z_]{1,40}", category):
        problems.append("Unknown category.")
        category = None
    kind = (args.get("kind") or "").strip() or None
    if kind and not re.fullmatch(r"[a-z_]{1,40}", kind):
        problems.append("Unknown kind.")
        kind = None
    scores: dict[str, float | None] = {}
    for name in ("min_score", "max_score"):
        raw = (args.get(name) or "").strip()
        value = None
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not 0.0 <= value <= 1.0:
                problems.append("Scores are between 0 and 1.")
                value = None
        scores[name] = value
    cursor = (args.get("cursor") or "").strip() or None
    if cursor and not re.fullmatch(r"[A-Za-z0-9._:|+-]{1,120}", cursor):
        cursor = None
    return {"tenant": tenant, "article_id": article, "category": category, "kind": kind,
            **scores, "cursor": cursor}, problems


def _queue_tenant(filters: dict[str, Any]) -> str | None:
    """Whose queue the page shows: the moderator's tenant; for an all-tenants moderator the
    chosen one, or every tenant's (an article filter then means the default tenant's)."""
    if g.moderator.tenant != ALL_TENANTS:
        return g.moderator.tenant
    if filters["tenant"] is None and filters["article_id"] is not None:
        return DEFAULT_TENANT
    return filters["tenant"]


@blp.route("", methods=["GET"])
@login_required
def queue():
    me = g.moderator.identity
    filters, problems = _filters()
    store = backend.store()
    query = {k: v for k, v in filters.items() if k != "tenant"}
    tenant = _queue_tenant(filters)
    try:
        page = store.queue(**query, tenant=tenant, limit=PAGE_SIZE, moderator=me)
    except backend.InvalidCursor:
        problems.append("That page link is out of date; showing the first page.")
        page = store.queue(**{**query, "cursor": None}, tenant=tenant, limit=PAGE_SIZE,
                           moderator=me)
    items = page.get("items") or []
    # A GET claims nothing (a link on another site must not claim comments for a signed-in
    # moderator): the page's script claims what it shows with a POST (/moderate/claims)
    # carrying the CSRF token, as soon as it loads.
    found = threads.contexts(items)
    cards = _with_reviews([_card(r, me.key_id, found.get(r["id"])) for r in items])
    log.info("queue shown", extra={"items": len(cards)})
    shown = {k: v for k, v in filters.items() if v is not None and k != "cursor"}
    next_url = None
    if page.get("next_cursor"):
        next_url = url_for("moderate.queue") + "?" + urlencode({**shown, "cursor": page["next_cursor"]})
    # The filters as the query string names them (_filters), for the live updates.
    live_query = urlencode({("article" if k == "article_id" else k): v for k, v in shown.items()})
    return render_template(
        "moderate/queue.html",
        cards=cards,
        counts=page.get("counts") or {},
        total=page.get("total", len(cards)),
        filters=filters,
        problems=problems,
        next_url=next_url,
        review_tabs=QUEUE_TABS,
        review=filters["category"] if filters["category"] in REVIEW_TABS else None,
        renew_seconds=max(5, current_app.config["MODERATION"].claim_seconds // 2),
        live_url=url_for("moderate.live") + ("?" + live_query if live_query else ""),
        live_seconds=current_app.config["MODERATION"].moderate_poll_seconds,
        first_page=filters["cursor"] is None,
        **_card_context(),
    )


def _card_context() -> dict[str, Any]:
    """What the card template needs besides the card (the page and the live updates share it)."""
    return {
        "all_tenants": g.moderator.tenant == ALL_TENANTS,
        "reason_codes": [(c, REASON_LABELS.get(c, c)) for c in backend.REASON_CODES],
        "categories": CATEGORY_LABELS,
        "kinds": KIND_LABELS,
        "notice_actions": (("reject", "Take down"), ("keep", "Leave as it is"), ("approve", "Publish")),
        "max_note": backend.MAX_NOTE_CHARS,
        "here": (request.args.get("here") if request.endpoint == "moderate.live"
                 else request.full_path.rstrip("?")) or url_for("moderate.queue"),
    }


# The live queue: a light poll, not a held connection (sync gunicorn workers serve it and
# move on), so it works behind `moderation up` with any number of API processes.
MAX_SHOWN = PAGE_SIZE * 3


@blp.route("/live", methods=["GET"])
@login_required
def live():
    """What changed since the page (or the last poll) drew the queue: counts, the shown
    comments that left the queue (decided by a colleague), and on the first page the cards
    of new held comments, server-rendered (escaped) like the page itself."""
    me = g.moderator.identity
    filters, _ = _filters()
    shown = [i for i in (request.args.get("shown") or "").split(",") if _ID.fullmatch(i)][:MAX_SHOWN]
    store = backend.store()
    query = {k: v for k, v in filters.items() if k not in ("tenant", "cursor")}
    page = store.queue(**query, cursor=None, tenant=_queue_tenant(filters), limit=PAGE_SIZE,
                       moderator=me)
    still = store.still_queued(shown, g.moderator.tenant)
    gone = [i for i in shown if i not in still]
    order = [r["id"] for r in page.get("items") or []]
    fresh = [] if request.args.get("paged") else [
        r for r in page.get("items") or [] if r["id"] not in set(shown)]
    found = threads.contexts(fresh)
    extra = _card_context()
    cards = []
    for record in fresh:
        index = order.index(record["id"])
        cards.append({"id": record["id"], "after": order[index - 1] if index else None,
                      "html": render_template("moderate/_card.html",
                                              c=_card(record, me.key_id, found.get(record["id"])),
                                              **extra)})
    counts = page.get("counts") or {}
    total = page.get("total", 0)
    return jsonify({
        "total": total,
        "gone": gone,
        "cards": cards,
        "counts_html": render_template("moderate/_counts.html", counts=counts, total=total,
                                       filters=filters, categories=CATEGORY_LABELS),
    })


def _decision_form() -> tuple[str, str, str | None]:
    form = request.form
    action = form.get("action", "")
    if action not in ("approve", "reject"):
        raise backend.DecisionError(422, "invalid_action", "Choose approve or reject.")
    reason = form.get("reason_code", "")
    if reason not in backend.REASON_CODES:
        raise backend.DecisionError(422, "invalid_reason", "Choose a reason from the list.")
    note = (form.get("note") or "").strip() or None
    return action, reason, note


def _back() -> str:
    return _safe_next(request.form.get("back"))


@blp.route("/decide", methods=["POST"])
@login_required
def decide():
    comment_id = request.form.get("id", "")
    if not _ID.fullmatch(comment_id):
        raise backend.DecisionError(404, "comment_not_found", "That comment no longer exists.")
    action, reason, note = _decision_form()
    # The status the card showed: a decision someone made since then is not overwritten.
    expected = request.form.get("expected_status") or None
    if expected not in (None, *STATUSES):
        raise backend.DecisionError(422, "invalid_status", "Reload the page and try again.")
    try:
        record = backend.decide(comment_id, moderator=g.moderator.identity, action=action,
                                reason_code=reason, note=note, expected_status=expected)
    except backend.DecisionError as exc:
        if _wants_json():
            raise
        flash(exc.message, "error")
        return redirect(_back())
    log.info("decision from page", extra={"comment_id": comment_id, "action": action})
    if _wants_json():
        return jsonify({"id": comment_id, "status": record.get("status"), "action": action})
    flash(f"{'Approved' if action == 'approve' else 'Rejected'}.", "info")
    return redirect(_back())


@blp.route("/decide-many", methods=["POST"])
@login_required
def decide_many():
    ids = [i for i in request.form.getlist("ids") if _ID.fullmatch(i)][:200]
    if not ids:
        raise backend.DecisionError(422, "nothing_selected", "Select at least one comment.")
    action, reason, note = _decision_form()
    result = backend.decide_many(ids, moderator=g.moderator.identity, action=action,
                                 reason_code=reason, note=note)
    done, failed = _bulk_outcome(result)
    log.info("bulk decision from page", extra={"decided": len(done), "failed": len(failed)})
    if _wants_json():
        return jsonify({"decided": done, "failed": failed, "action": action})
    verb = "Approved" if action == "approve" else "Rejected"
    flash(f"{verb} {len(done)} comment(s)." + (f" {len(failed)} left unchanged (claimed by a colleague "
                                                 "or already gone)." if failed else ""),
          "error" if failed else "info")
    return redirect(_back())


def _review_error(exc: Exception) -> backend.DecisionError:
    if isinstance(exc, NoticeError):
        return backend.DecisionError(exc.status, exc.code, str(exc))
    if isinstance(exc, DsaNotFound):
        return backend.DecisionError(404, "not_found", "That notice or appeal no longer exists.")
    return backend.translate(exc)


def _review_done(message: str, payload: dict[str, Any]):
    if _wants_json():
        return jsonify(payload)
    flash(message, "info")
    return redirect(_back())


@blp.route("/notices/decide", methods=["POST"])
@login_required
def decide_notice():
    """A legality decision on a notice (every open notice of the comment gets it)."""
    form = request.form
    ref = form.get("notice_id", "")
    illegal = form.get("illegal") == "yes"
    explanation = (form.get("explanation") or "").strip()
    ground = (form.get("legal_ground") or "").strip() or None
    action = form.get("action") or None
    try:
        if not explanation:
            raise NoticeError("invalid_notice_decision", "Write a short explanation.", status=422)
        if action not in (None, "reject", "keep", "approve"):
            raise NoticeError("invalid_notice_decision", "Choose what happens to the comment.",
                              status=422)
        notice = dsa.decide_notice(ref, moderator=g.moderator.identity, illegal=illegal,
                                   legal_ground=ground, explanation=explanation[:2000],
                                   action=action)
    except backend.REVIEW_ERRORS as exc:
        error = _review_error(exc)
        if _wants_json():
            raise error from exc
        flash(error.message, "error")
        return redirect(_back())
    log.info("notice decided from page", extra={"notice_id": ref, "illegal": illegal})
    verb = "illegal: taken down" if notice["action_taken"] == "removed" else "decided"
    return _review_done(f"Notice {verb}.", {"id": ref, "decision": notice["decision"]})


@blp.route("/appeals/decide", methods=["POST"])
@login_required
def decide_appeal():
    form = request.form
    ref = form.get("appeal_id", "")
    outcome = form.get("outcome", "")
    explanation = (form.get("explanation") or "").strip()
    try:
        if outcome not in ("uphold", "reverse"):
            raise NoticeError("invalid_appeal_decision", "Choose uphold or reverse.", status=422)
        if not explanation:
            raise NoticeError("invalid_appeal_decision", "Write a short explanation.", status=422)
        appeal = dsa.decide_appeal(ref, moderator=g.moderator.identity, outcome=outcome,
                                   explanation=explanation[:2000])
    except backend.REVIEW_ERRORS as exc:
        error = _review_error(exc)
        if _wants_json():
            raise error from exc
        flash(error.message, "error")
        return redirect(_back())
    log.info("appeal decided from page", extra={"appeal_id": ref, "outcome": outcome})
    return _review_done("Appeal upheld." if outcome == "uphold" else
                        "Appeal granted: the comment is published.",
                        {"id": ref, "outcome": appeal["outcome"]})


@blp.route("/claims", methods=["POST"])
@login_required
def renew_claims():
    """Claim the comments on the moderator's page: once when it loads, then again while the
    moderator is active (so an open but idle tab lets its claims lapse). Comments of a
    tenant the moderator may not see are never claimed (they are reported lost)."""
    ids = [i for i in request.form.getlist("ids") if _ID.fullmatch(i)][:PAGE_SIZE * 2]
    mine = backend.store().claim(g.moderator.identity, ids=ids, limit=len(ids)) if ids else []
    return jsonify({"claimed": mine, "lost": [i for i in ids if i not in set(mine)]})


def _bulk_outcome(results: list[dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    """(decided ids, {id: error code}) from ``decide_many``'s per-id results."""
    done = [r["id"] for r in results if r.get("ok")]
    failed = {r["id"]: str(r.get("error") or "failed") for r in results if not r.get("ok")}
    return done, failed


@blp.route("/comments/<comment_id>/history", methods=["GET"])
@login_required
def history(comment_id: str):
    rt = current_app.extensions["moderation"]
    record = rt.comments.get(comment_id) if _ID.fullmatch(comment_id) else None
    if not g.moderator.identity.may_see(record):
        return _error(404, "comment_not_found", "That comment no longer exists.")
    try:
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        offset = 0
    events, total = backend.store().history(comment_id, tenant=g.moderator.tenant, offset=offset,
                                            limit=HISTORY_PAGE)
    following = offset + len(events)
    more_url = None
    if following < total:
        more_url = url_for("moderate.history", comment_id=comment_id, offset=following)
    template = "moderate/_history.html" if request.args.get("fragment") else "moderate/history.html"
    return render_template(
        template,
        record=record,
        segments=segments(record.get("text") or "", record.get("spans")),
        events=events,
        total=total,
        more_url=more_url,
    )


# The live quality page registers its view on this blueprint (after login_required exists).
from service.web import quality as _quality  # noqa: E402, F401

