"""Webhooks cannot be turned against the network they run in (SSRF): internal addresses are
refused at registration and at every send, the send connects to the address that was checked
(DNS rebinding), TLS still checks the name, and failures say nothing that maps ports."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import Queue
from rq.job import JobStatus

from storage.webhooks import FailureScope, WebhookStore
from tests.conftest import make_settings, wait_until
from tests.webhook_support import Receiver, assert_error, register, webhook_worker_env
from worker.webhook_targets import (
    AllowList,
    TargetRefused,
    check_registration,
    is_public,
    literal_ip,
    parse_target,
    resolve_checked,
)
from worker.webhooks import (
    ANSWERED_ERROR,
    NOT_ALLOWED,
    UNREACHABLE,
    deliver_once,
    emit_decisions,
    post,
)

RECORD = {"id": "c1", "article_id": "story-1", "status": "approved", "reasons": [],
          "decided_by": "model", "model_version": "v1", "decided": 1_760_000_000.0}
NOBODY = AllowList("")

# Every spelling here means an address no webhook may reach by default.
REFUSED_HOSTS = [
    "127.0.0.1", "127.8.9.10", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1",
    "0", "0.0.0.0", "10.1.2.3", "012.1.2.3", "172.16.5.4", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "192.0.0.192",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "198.18.0.1",
    "[::1]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]", "[fe80::1]", "[fe80::1%25eth0]", "[fc00::1]", "[fd00:ec2::254]",
    "[ff02::1]", "[fec0::1]", "[2002:7f00:1::]", "[2002:a00:1::1]", "[64:ff9b::a00:1]",
    "[64:ff9b::7f00:1]", "[::127.0.0.1]", "[2001:db8::1]", "[100::1]",
]
PUBLIC_HOSTS = ["8.8.8.8", "93.184.216.34", "1.1.1.1", "[2606:4700:4700::1111]",
                "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "[2a00:1450:4009:81f::200e]"]


def stub_resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


# Addresses -------------------------------------------------------------------------------
@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_internal_addresses_are_refused_in_every_spelling(host):
    with pytest.raises(TargetRefused):
        check_registration(f"http://{host}:8080/hook", NOBODY)


@pytest.mark.parametrize("host", PUBLIC_HOSTS)
def test_public_addresses_are_accepted(host):
    target = check_registration(f"https://{host}/hook", NOBODY)
    assert is_public(literal_ip(target.host))


def test_old_ipv4_spellings_are_read_as_the_resolver_reads_them():
    for spelling in ("2130706433", "0177.0.0.1", "0x7f.1", "127.1", "017700000001"):
        assert str(literal_ip(spelling)) == "127.0.0.1", spelling
    assert literal_ip("news.example") is None


def test_a_name_is_checked_by_every_address_it_resolves_to():
    resolver = stub_resolver({"hooks.news.test": ["93.184.216.34", "10.0.0.7"],
                              "public.news.test": ["93.184.216.34", "2606:4700::1"]})
    # One internal answer among public ones refuses the name as a whole.
    with pytest.raises(TargetRefused):
        resolve_checked(parse_target("https://hooks.news.test/h"), NOBODY, resolver)
    ips = resolve_checked(parse_target("https://public.news.test/h"), NOBODY, resolver)
    assert [str(ip) for ip in ips] == ["93.184.216.34", "2606:4700::1"]
    # A name that does not resolve from the API can still be registered; sends check again.
    assert check_registration("https://nowhere.news.test/h", NOBODY, resolver).host == "nowhere.news.test"


def test_allow_list_entries():
    allowed = AllowList("hooks.intra, 10.20.0.0/16, 192.168.1.5:8443, [fd00::5]:9000, ::1, "
                        "relay.intra:8080")

    def ok(url: str, ip: str) -> bool:
        target = parse_target(url)
        try:
            resolve_checked(target, allowed, stub_resolver({target.host: [ip]}))
        except TargetRefused:
            return False
        return True

    assert ok("http://hooks.intra/h", "10.9.9.9")            # by name, any port
    assert ok("http://hooks.intra:81/h", "127.0.0.1")
    assert ok("http://anything.intra/h", "10.20.3.4")        # by network
    assert not ok("http://anything.intra/h", "10.21.3.4")
    assert ok("https://192.168.1.5:8443/h", "192.168.1.5")   # address and port
    assert not ok("https://192.168.1.5/h", "192.168.1.5")
    assert ok("http://[fd00::5]:9000/h", "fd00::5")
    assert not ok("http://[fd00::5]:9001/h", "fd00::5")
    assert ok("http://[::1]/h", "::1")
    assert ok("http://relay.intra:8080/h", "10.1.1.1")
    assert not ok("http://relay.intra:8081/h", "10.1.1.1")
    assert not ok("http://other.intra/h", "169.254.169.254")
    for bad in ("hooks intra", "10.0.0.0/33", "host:port", "[::1", "a/b", "host:0"):
        with pytest.raises(ValueError, match="WEBHOOK_ALLOWED_HOSTS"):
            AllowList(bad)


def test_a_malformed_allow_list_stops_the_api_at_start(redis_url, redis_client):
    from service.app import create_app

    with pytest.raises(ValueError, match="WEBHOOK_ALLOWED_HOSTS"):
        create_app(make_settings(redis_url, webhook_allowed_hosts="10.0.0.0/99"))


# Registration ------------------------------------------------------------------------------
def test_loopback_receiver_is_refused_at_registration_without_the_setting(client, site_headers):
    receiver = Receiver([])
    try:
        for url in (receiver.url, f"http://localhost:{receiver.port}/h",
                    f"http://2130706433:{receiver.port}/h", "http://[::1]/h",
                    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/h",
                    "http://[::ffff:127.0.0.1]/h"):
            body = assert_error(client.put("/v1/webhooks", json={"url": url}, headers=site_headers),
                                422, "webhook_url_not_allowed")
            assert "WEBHOOK_ALLOWED_HOSTS" in body["message"] and "url" in body["details"]["json"]
        assert_error(client.get("/v1/webhooks", headers=site_headers), 404, "webhook_not_found")
    finally:
        receiver.close()


def test_an_allowed_internal_host_can_be_registered(redis_url, redis_client, make_key):
    from service.app import create_app
    from service.runtime import Runtime

    settings = make_settings(redis_url, webhook_allowed_hosts="127.0.0.1, hooks.intra")
    client = create_app(settings, Runtime.build(settings, redis_client)).test_client()
    headers = {"Authorization": f"Bearer {make_key('site')}"}
    register(client, headers, "http://127.0.0.1:9000/h")
    register(client, headers, "http://hooks.intra/h")
    assert_error(client.put("/v1/webhooks", json={"url": "http://10.0.0.1/h"}, headers=headers),
                 422, "webhook_url_not_allowed")


# Sending --------------------------------------------------------------------------------------
@pytest.fixture
def target():
    made = Receiver([])
    yield made
    made.close()


def test_send_connects_to_the_checked_address_with_the_name_in_host(target):
    # The name resolves (stubbed) to the receiver's address; the allow list opens that address.
    resolver = stub_resolver({"hooks.news.test": ["127.0.0.1"]})
    url = f"http://hooks.news.test:{target.port}/hooks/moderation?site=1"
    attempt = post(url, "whsec_s", '{"id":"evt_1"}', "d1", 5.0, AllowList("127.0.0.1"), resolver)
    assert attempt.error is None, attempt
    request = target.requests[0]
    assert request["headers"]["Host"] == f"hooks.news.test:{target.port}"
    assert request["path"] == "/hooks/moderation?site=1"


def test_send_refuses_a_name_that_now_resolves_inside(target):
    # Registered while the name pointed outside; by the time of the send it points inside.
    answers = {"hooks.news.test": ["93.184.216.34"]}
    check_registration(f"http://hooks.news.test:{target.port}/h", NOBODY, stub_resolver(answers))
    answers["hooks.news.test"] = ["127.0.0.1"]
    attempt = post(f"http://hooks.news.test:{target.port}/h", "whsec_s", "{}", "d1", 5.0, NOBODY,
                   stub_resolver(answers))
    assert attempt.error == NOT_ALLOWED
    assert target.count() == 0


def test_failures_are_generic(target):
    closed = Receiver([])
    closed_port = closed.port
    closed.close()  # nothing listens there now
    loopback = AllowList("127.0.0.1")
    for status in (500, 404, 302, 401):
        target.statuses.append(status)
        attempt = post(target.url, "whsec_s", "{}", "d", 5.0, loopback)
        assert attempt.error == ANSWERED_ERROR and attempt.detail == f"HTTP {status}"
    refused = post(f"http://127.0.0.1:{closed_port}/h", "whsec_s", "{}", "d", 5.0, loopback)
    assert refused.error == UNREACHABLE
    unresolved = post("http://nowhere.news.test/h", "whsec_s", "{}", "d", 5.0, loopback,
                      stub_resolver({}))
    assert unresolved.error == UNREACHABLE
    for message in (ANSWERED_ERROR, UNREACHABLE, NOT_ALLOWED):
        assert not any(ch.isdigit() for ch in message) and "Error" not in message
    # A redirect is an error, never followed.
    assert [r["status"] for r in target.requests] == [500, 404, 302, 401]


def test_tls_checks_the_name_while_connecting_to_the_checked_address(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.news.test")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    resolver = stub_resolver({"hooks.news.test": ["127.0.0.1"], "other.news.test": ["127.0.0.1"]})
    try:
        ok = post(f"https://hooks.news.test:{port}/h", "whsec_s", "{}", "d1", 5.0,
                  AllowList("127.0.0.1"), resolver, ca_certs=str(ca_file))
        assert ok.error is None, ok
        assert server_names[-1] == "hooks.news.test"
        # Same address, another name: the certificate does not match it, nothing is sent.
        wrong = post(f"https://other.news.test:{port}/h", "whsec_s", "{}", "d2", 5.0,
                     AllowList("127.0.0.1"), resolver, ca_certs=str(ca_file))
        assert wrong.error == UNREACHABLE and "SSL" in wrong.detail
    finally:
        server.shutdown()
        server.server_close()


def test_deliver_once_refuses_a_private_name_and_lists_it_generically(runtime, make_key):
    settings = make_settings(runtime.settings.redis_url, webhook_retry_backoff="")
    key = runtime.api_keys.authenticate(make_key("site"))
    store = WebhookStore(runtime.redis, runtime.keys)
    store.register(key.id, "https://hooks.news.test/h")
    resolver = stub_resolver({"hooks.news.test": ["10.0.0.7"]})
    with pytest.raises(Exception, match="receiver address not allowed"):
        deliver_once(runtime.redis, runtime.keys, settings, None, "d1", key.id, "{}",
                     resolver=resolver)
    failures, _ = store.failures(FailureScope(key_id=key.id), 10)
    assert [(f.id, f.last_error, f.attempts) for f in failures] == [("d1", NOT_ALLOWED, 1)]


def test_worker_refuses_loopback_without_the_setting(runtime, settings, start_worker, make_key):
    """A real webhook worker without WEBHOOK_ALLOWED_HOSTS, and webhooks stored as if they had
    passed registration (a name that resolved outside then): nothing reaches the receiver,
    whether the URL names the loopback address or a name that resolves to it."""
    receiver = Receiver([])
    try:
        store = WebhookStore(runtime.redis, runtime.keys)
        by_address = runtime.api_keys.authenticate(make_key("site")).id
        by_name = runtime.api_keys.authenticate(make_key("site")).id
        store.register(by_address, receiver.url)
        store.register(by_name, f"http://localhost:{receiver.port}/hooks")
        no_retries = make_settings(runtime.settings.redis_url, webhook_retry_backoff="")
        assert emit_decisions(runtime.redis, runtime.keys, no_retries, [RECORD]) == 2
        start_worker(**webhook_worker_env(settings, WEBHOOK_ALLOWED_HOSTS=""))
        queue = Queue(settings.webhooks_queue, connection=runtime.redis)

        def listed():
            return [f for key_id in (by_address, by_name)
                    for f in store.failures(FailureScope(key_id=key_id), 10)[0]]

        failures = wait_until(lambda: len(listed()) == 2 and listed(), timeout=60)
        assert {f.last_error for f in failures} == {NOT_ALLOWED}
        assert receiver.count() == 0
        assert all(j.get_status() == JobStatus.FAILED for j in
                   [queue.fetch_job(f"webhook-{f.id}") for f in failures])
        assert json.loads(failures[0].body)["comment_id"] == "c1"
    finally:
        receiver.close()
