"""Redis dies (SIGKILL) while a client posts: 503 with Retry-After, never 500; the API
recovers by itself when Redis returns on the same port and data; with AOF
(`appendfsync always`, as docker-compose configures) no comment that got 202 is lost."""

from __future__ import annotations

import threading
import time

from tests.conftest import make_settings, wait_until


class Poster(threading.Thread):
    """Posts comments as fast as the API answers, remembering every answer."""

    def __init__(self, app, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.headers = headers
        self.accepted: dict[str, str] = {}
        self.statuses: list[int] = []
        self.errors: list[dict] = []
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            text = f"outage test comment number {n}"
            response = self.client.post("/v1/comments", headers=self.headers, json={
                "article_id": "outage", "text": text, "author": {"id": f"r{n % 7}"}})
            self.statuses.append(response.status_code)
            if response.status_code == 202:
                self.accepted[response.get_json()["id"]] = text
            else:
                self.errors.append({"status": response.status_code, **response.get_json(),
                                    "retry_after": response.headers.get("Retry-After")})
                time.sleep(0.01)


def test_redis_killed_and_restarted_under_load(own_redis):
    from service.app import create_app

    settings = make_settings(own_redis.url, rate_limit_default="100000/minute",
                             rate_limit_post_comments="100000/minute",
                             rate_limit_anonymous="100000/minute")
    # The production client (connection timeouts, retries), not the test one.
    app = create_app(settings)
    rt = app.extensions["moderation"]
    key = rt.api_keys.create("site", "outage test")[1]
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()

    poster = Poster(app, headers)
    poster.start()
    wait_until(lambda: len(poster.accepted) >= 50, timeout=30)

    own_redis.kill()
    accepted_before_kill = len(poster.accepted)
    wait_until(lambda: len(poster.errors) >= 3, timeout=30)

    # Every path answers 503 storage_unavailable with Retry-After while Redis is away:
    # authentication, the limiter, reads, listings and the readiness probe.
    for method, path in (("GET", "/v1/comments/abc"), ("GET", "/v1/articles/outage/comments"),
                         ("POST", "/v1/comments")):
        response = client.open(path, method=method, headers=headers,
                               json={"article_id": "x", "text": "t", "author": {"id": "r"}})
        assert response.status_code == 503, (path, response.get_data(as_text=True))
        assert response.get_json()["code"] == "storage_unavailable"
        assert int(response.headers["Retry-After"]) > 0
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"].startswith("unreachable")

    # Same port, same data directory: the AOF is replayed.
    own_redis.start()
    errors_at_restart = len(poster.errors)
    wait_until(lambda: len(poster.accepted) >= accepted_before_kill + 50, timeout=60)
    poster.stop.set()
    poster.join(30)

    assert 500 not in poster.statuses and all(s in (202, 503) for s in poster.statuses), \
        sorted(set(poster.statuses))
    assert errors_at_restart >= 3
    for error in poster.errors:
        assert error["code"] == "storage_unavailable" and error["retry_after"], error

    # No comment that got 202 is lost, and each is stored as posted.
    ids = list(poster.accepted)
    records = rt.comments.get_many(ids, ["text", "status"])
    missing = [cid for cid, record in zip(ids, records, strict=True) if record is None]
    assert missing == [], f"{len(missing)} of {len(ids)} accepted comments lost"
    for cid, record in zip(ids, records, strict=True):
        assert record["text"] == poster.accepted[cid] and record["status"] == "pending"
    # ...and each is still queued for scoring.
    pending = {m.decode() for m in rt.redis.zrange(rt.keys.pending, 0, -1)}
    assert set(ids) <= pending
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
