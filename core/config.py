"""All configuration, read from environment variables with documented defaults.

This is the only module that reads ``os.environ`` for settings. Every entry in
``SETTINGS`` is listed in the README's configuration table (``moderation
config`` prints the table with the values in force), so the docs and the code
cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def home() -> Path:
    """The folder that relative defaults (var/, ../shared/data/abuse) hang from.

    In a checkout (pyproject.toml beside the packages) that is the checkout. An installed
    wheel has its packages in site-packages, where neither state nor corpora belong, so
    there the working directory stands in for the checkout.
    """
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT
    return Path.cwd()


def _default_abuse_data() -> str:
    # The corpora live beside the checkout (../shared/data/abuse), never inside it.
    return str(home().parent / "shared" / "data" / "abuse")


def _setting(env: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    redis_url: str = _setting(
        "REDIS_URL", "",
        "Redis (or Valkey) URL: redis://, rediss:// (TLS) or unix://. Empty: `moderation up` "
        "starts a private server; `serve`/`worker` use redis://localhost:6379/0.",
    )
    redis_sentinels: str = _setting(
        "REDIS_SENTINELS", "",
        "Comma-separated host:port list of Redis Sentinels; when set, the master named "
        "REDIS_SENTINEL_MASTER is used instead of REDIS_URL.",
    )
    redis_sentinel_master: str = _setting(
        "REDIS_SENTINEL_MASTER", "mymaster", "Sentinel master name."
    )
    redis_socket_timeout: float = _setting(
        "REDIS_SOCKET_TIMEOUT", 5.0,
        "Seconds a Redis command may take before it fails (the API then answers 503). RQ's "
        "blocking wait for jobs uses a connection of its own without this limit.",
    )
    key_prefix: str = _setting(
        "MODERATION_KEY_PREFIX", "mod:", "Prefix of every Redis key this service writes."
    )
    abuse_data: str = _setting(
        "ABUSE_DATA", _default_abuse_data(),
        "Folder of abuse corpora (JSON lines, Jigsaw train.csv or Civil Comments CSV).",
    )
    teacher_lexicon: str = _setting(
        "TEACHER_LEXICON", "",
        "Word table of the abuse model's teacher-lexicon columns (docs/MODEL.md, pass 10; built "
        "by tools/build_teacher_lexicon.py). Empty: the one shipped in the package; `off`: a "
        "model without those columns. Read when a model is trained.",
    )
    model_dir: str = _setting(
        "MODEL_DIR", str(home() / "var" / "models"),
        "Where `moderation train` writes model files by default.",
    )
    var_dir: str = _setting(
        "VAR_DIR", str(home() / "var"),
        "This machine's own state under `moderation up`: the private Redis's data, metrics files "
        "and the moderator-session key (`secret_key`, mode 0600).",
    )
    comments_queue: str = _setting("COMMENTS_QUEUE", "comments", "RQ queue of scoring jobs.")
    training_queue: str = _setting("TRAINING_QUEUE", "training", "RQ queue of training jobs.")
    webhooks_queue: str = _setting("WEBHOOKS_QUEUE", "webhooks", "RQ queue of webhook deliveries.")
    webhook_retry_backoff: str = _setting(
        "WEBHOOK_RETRY_BACKOFF", "10,60,300,1800,7200",
        "Seconds before each retry of a failed webhook delivery (comma-separated; one retry per "
        "entry). When all are spent the delivery is listed under /v1/webhooks/failures.",
    )
    webhook_timeout: float = _setting(
        "WEBHOOK_TIMEOUT", 5.0,
        "Seconds a webhook receiver has to answer one delivery (connect and response).",
    )
    webhook_failure_days: float = _setting(
        "WEBHOOK_FAILURE_DAYS", 30.0,
        "Failed webhook deliveries are kept this many days for replay, then dropped.",
    )
    webhook_allowed_hosts: str = _setting(
        "WEBHOOK_ALLOWED_HOSTS", "",
        "Comma-separated internal receivers webhooks may reach although their address is "
        "loopback, private, link-local or otherwise not public: host names, IP addresses or CIDR "
        "networks, each optionally with :port (IPv6 as [addr]:port). Empty: public addresses only.",
    )
    webhook_breaker_failures: int = _setting(
        "WEBHOOK_BREAKER_FAILURES", 5,
        "Consecutive failed attempts after which a webhook's deliveries wait "
        "WEBHOOK_BREAKER_COOLOFF seconds without being sent; then one trial delivery decides.",
    )
    webhook_breaker_cooloff: float = _setting(
        "WEBHOOK_BREAKER_COOLOFF", 60.0,
        "Seconds a webhook whose circuit breaker opened is left alone before a trial delivery.",
    )
    coral_signing_secrets: str = _setting(
        "CORAL_SIGNING_SECRETS", "",
        "Comma-separated signing secrets of Coral Talk's external moderation phase (several "
        "during a rotation). Empty: POST /v1/integrations/coral answers 503.",
    )
    coral_tenant: str = _setting(
        "CORAL_TENANT", "default",
        "Tenant (title) of the comments Coral Talk's moderation phase sends (POST "
        "/v1/integrations/coral carries no API key to take it from).",
    )
    hold_threshold_abuse: float = _setting(
        "HOLD_THRESHOLD_ABUSE", -1.0,
        "Hold a comment whose abuse probability reaches this. Negative: the model's own "
        "calibrated default (admins can override at run time).",
    )
    hold_threshold_victim_identification: float = _setting(
        "HOLD_THRESHOLD_VICTIM_IDENTIFICATION", -1.0,
        "Hold threshold for victim identification. Negative: the model's own default.",
    )
    sensitive_vi_factor: float = _setting(
        "SENSITIVE_VI_FACTOR", 0.5,
        "On articles marked sensitive, the victim-identification threshold is multiplied by this.",
    )
    spot_check_rate: float = _setting(
        "SPOT_CHECK_RATE", 0.02,
        "Share of auto-approved comments sampled for a moderator's spot check (queue category "
        "spot_check), far from any hold threshold; admins can set it per tenant at run time.",
    )
    spot_check_near_band: float = _setting(
        "SPOT_CHECK_NEAR_BAND", 0.15,
        "Approved comments scored within this distance below a hold threshold are oversampled "
        "(the closer, the more); 0: no oversampling.",
    )
    spot_check_near_factor: float = _setting(
        "SPOT_CHECK_NEAR_FACTOR", 5.0,
        "Spot-check probability at the threshold itself, as a multiple of the rate (falling "
        "linearly to 1x at SPOT_CHECK_NEAR_BAND). The estimate weights each check by 1/probability.",
    )
    quality_gauge_days: int = _setting(
        "QUALITY_GAUGE_DAYS", 7,
        "Days (up to today) the Prometheus quality gauges (miss rate, hold precision) cover.",
    )
    miss_rate_alert: float = _setting(
        "MISS_RATE_ALERT", 0.05,
        "Exported as moderation_miss_rate_alert_threshold: the example alert fires when the "
        "spot-checked miss rate's lower 95 % bound is above it.",
    )
    max_body_bytes: int = _setting(
        "MAX_BODY_BYTES", 64 * 1024, "Largest request body accepted (413 above)."
    )
    max_text_chars: int = _setting("MAX_TEXT_CHARS", 10_000, "Longest comment text accepted.")
    scoring_batch_size: int = _setting(
        "SCORING_BATCH_SIZE", 64, "Comments a worker leases and scores in one batch."
    )
    scoring_linger_seconds: float = _setting(
        "SCORING_LINGER_SECONDS", 2.0,
        "A scoring job with nothing left to score waits this long for the next comment (a post "
        "wakes it at once, one Redis command) before it ends, so a steady stream shares one job "
        "instead of paying RQ's per-job Redis work (40-80 commands) every few comments. Kept "
        "under REDIS_SOCKET_TIMEOUT - 1. 0: a job ends as soon as nothing is due.",
    )
    scoring_gather_seconds: float = _setting(
        "SCORING_GATHER_SECONDS", 0.02,
        "While comments keep coming, a scoring job leases at most once per this many seconds "
        "(a full batch goes on at once), so at a few hundred comments a second a batch holds "
        "several comments rather than one (a batch costs five Redis commands whatever its "
        "size: at 200/s, 21 commands a decided comment at 0.01 s, 19.9 at 0.02 s). Adds at most "
        "this much to the time to a decision at such rates (p99 at 100/s: 13-15 ms at 0.01 s, "
        "26-27 ms at 0.02 s); the first comment after a quiet spell is leased at once. 0: lease "
        "again as soon as a batch is decided.",
    )
    policy_cache_seconds: float = _setting(
        "POLICY_CACHE_SECONDS", 10.0,
        "A scoring worker keeps the settings its batches read (hold thresholds, tenant rules "
        "and spot-check rates, article policies, webhook targets, DSA templates) in memory "
        "and reads one version key per batch instead: every change made through the API or "
        "the stores changes that key, so it applies from the next batch. The worker reads "
        "them all again at least this often anyway, which bounds how long a change made "
        "around the stores (by hand in Redis) goes unseen. 0: read them every batch.",
    )
    lease_seconds: int = _setting(
        "LEASE_SECONDS", 30,
        "A leased comment not decided within this time (worker died) is scored again.",
    )
    max_attempts: int = _setting(
        "MAX_SCORING_ATTEMPTS", 3,
        "Leases of one comment before it is moved to its own retried RQ job.",
    )
    job_retries: int = _setting(
        "JOB_RETRIES", 3, "RQ retries (with back-off) of a failed single-comment job."
    )
    job_retry_backoff: str = _setting(
        "JOB_RETRY_BACKOFF", "2,10,30",
        "Seconds before each retry of a single-comment job (comma-separated; 0 = at once).",
    )
    recovery_interval: float = _setting(
        "RECOVERY_INTERVAL", 5.0,
        "Seconds between a worker's checks for comments whose lease expired.",
    )
    model_poll_interval: float = _setting(
        "MODEL_POLL_INTERVAL", 2.0,
        "Seconds between a worker's checks for a newly activated model version.",
    )
    worker_queues: str = _setting(
        "WORKER_QUEUES", "",
        "Queues a `moderation worker` consumes (comma-separated: comments, webhooks, training or "
        "literal RQ queue names). Empty: comments; webhooks and training need workers of their own.",
    )
    training_job_timeout: int = _setting(
        "TRAINING_JOB_TIMEOUT", 7200, "Seconds a training job may run before RQ stops it."
    )
    quality_gate_tolerance: float = _setting(
        "QUALITY_GATE_TOLERANCE", 0.01,
        "A new model version is activated automatically only if no held-out metric (per "
        "category: ROC-AUC, average precision, recall, clean held) is worse than the active "
        "version's by more than this.",
    )
    api_key_cache_seconds: float = _setting(
        "API_KEY_CACHE_SECONDS", 5.0,
        "Seconds each API process may reuse a valid API key's look-up before asking Redis again "
        "(at most 60; 0: ask every request). A key revoked from another process (the CLI, "
        "another API process) keeps working on this one for up to this long.",
    )
    rate_limit_default: str = _setting(
        "RATE_LIMIT_DEFAULT", "600/minute",
        "Requests per API key to each route and method without a limit of its own "
        "(limits syntax: '10/second;600/minute'). Empty: no limit.",
    )
    rate_limit_post_comments: str = _setting(
        "RATE_LIMIT_POST_COMMENTS", "120/second;3600/minute",
        "Comments one site key may post. Empty: no limit.",
    )
    rate_limit_read_comments: str = _setting(
        "RATE_LIMIT_READ_COMMENTS", "600/second;18000/minute",
        "Comment reads per API key, single (GET /v1/comments/{id}) and batch (GET "
        "/v1/comments?ids=) together: five times the posting limit, as a site polls what it "
        "posts. Empty: no limit.",
    )
    rate_limit_reports: str = _setting(
        "RATE_LIMIT_REPORTS", "10/second;600/minute",
        "Readers' reports one site key may send (POST /v1/comments/{id}/reports). Empty: no limit.",
    )
    rate_limit_notices: str = _setting(
        "RATE_LIMIT_NOTICES", "10/second;600/minute",
        "Notices of illegal content and appeals one site key may send (POST "
        "/v1/comments/{id}/notices and /appeals), counted together. Empty: no limit.",
    )
    rate_limit_anonymous: str = _setting(
        "RATE_LIMIT_ANONYMOUS", "300/minute",
        "Requests per client address without a valid API key (failed keys, docs, the moderator "
        "page's sign-in); health probes are exempt. Empty: no limit.",
    )
    rate_limit_coral_failed_signatures: str = _setting(
        "RATE_LIMIT_CORAL_FAILED_SIGNATURES", "20/minute",
        "Failed X-Coral-Signature checks one client address may make (limits syntax); past it "
        "the address gets 429 on the Coral route until the window ends, valid signatures "
        "included. Only failures count, so Coral itself is never limited. Empty: no limit.",
    )
    proxy_hops: int = _setting(
        "PROXY_HOPS", 0,
        "Reverse proxies in front of the API whose X-Forwarded-For is trusted for the client "
        "address (0: the TCP peer is the client).",
    )
    retention_days: float = _setting(
        "RETENTION_DAYS", 365.0,
        "Comments decided more than this many days ago, and comments still pending this long "
        "after they were posted, are purged (record, history with report reasons, indexes). "
        "0: keep forever.",
    )
    retention_interval: float = _setting(
        "RETENTION_INTERVAL", 3600.0,
        "Seconds between a worker's retention sweeps.",
    )
    claim_seconds: int = _setting(
        "CLAIM_SECONDS", 300,
        "A moderator's claim on a held comment lapses after this many seconds unless renewed.",
    )
    moderate_poll_seconds: float = _setting(
        "MODERATE_POLL_SECONDS", 5.0,
        "Seconds between the moderator page's checks for new held comments and comments decided "
        "by colleagues (a light GET: no worker is held open). 0: the page does not update itself.",
    )
    max_reports_per_comment: int = _setting(
        "MAX_REPORTS_PER_COMMENT", 100,
        "Readers' reports kept per comment; later ones are answered but not stored (the comment "
        "is in the moderators' queue already). 0: no cap.",
    )
    max_reports_per_reader: int = _setting(
        "MAX_REPORTS_PER_READER", 50,
        "Reports one reader (a site's reader id) may make per REPORT_WINDOW_SECONDS; more are "
        "refused with 429 report_limit_reached. 0: no cap.",
    )
    max_notices_per_comment: int = _setting(
        "MAX_NOTICES_PER_COMMENT", 100,
        "Notices of illegal content kept per comment; later ones are refused with 429 "
        "notice_limit_reached (the comment waits in the notice queue already). 0: no cap.",
    )
    report_window_seconds: int = _setting(
        "REPORT_WINDOW_SECONDS", 86400, "The window MAX_REPORTS_PER_READER counts over.",
    )
    author_window: int = _setting(
        "AUTHOR_WINDOW", 20,
        "Recent moderator decisions on an author's comments that the rejection rate is taken over.",
    )
    author_reject_rate: float = _setting(
        "AUTHOR_REJECT_RATE", 0.5,
        "An author whose rejection rate over AUTHOR_WINDOW reaches this is pre-moderated "
        "(every new comment held, reason author_history).",
    )
    author_min_decisions: int = _setting(
        "AUTHOR_MIN_DECISIONS", 4,
        "Moderator decisions an author needs before the rejection rate can pre-moderate them.",
    )
    page_size: int = _setting("PAGE_SIZE", 50, "Default page size of listings (max 200).")
    log_level: str = _setting("LOG_LEVEL", "INFO", "Log level (logs are JSON lines on stderr).")
    secret_key: str = _setting(
        "SECRET_KEY", "",
        "Flask session secret for the moderator page; set the same one on every API process. "
        "Empty: `moderation up` keeps one in VAR_DIR/secret_key; `serve` refuses to start several "
        "processes without it (each would sign sessions with its own random key).",
    )
    web_session_hours: int = _setting(
        "WEB_SESSION_HOURS", 10,
        "A moderator page sign-in lasts this long (a working shift), then asks for the key again.",
    )
    web_secure_cookie: int = _setting(
        "WEB_SECURE_COOKIE", 0,
        "1: the moderator page's session cookie is sent over HTTPS only (set it in production).",
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            kind = type(f.default)
            # An empty number means "use the default"; an empty string is a value
            # (e.g. RATE_LIMIT_DEFAULT= turns that limit off).
            if raw is None or (raw == "" and kind is not str):
                continue
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}") from exc
        values.update(overrides)
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) for every setting, for docs and `moderation config`."""
        return [(f.metadata["env"], str(f.default), f.metadata["doc"]) for f in fields(cls)]

    def effective_redis_url(self) -> str:
        return self.redis_url or "redis://localhost:6379/0"
