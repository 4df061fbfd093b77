"""The deployment settings for shared Redis: Sentinel and TLS (rediss://), against real
servers started here."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from redis import Redis
from redis.exceptions import RedisError

from moderation.redis_server import RedisServer, find_server_binary, free_port
from storage.connection import connect
from tests.conftest import make_settings

POST = {"article_id": "a1", "text": "Sentinel and TLS test comment", "author": {"id": "r1"}}


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (RedisError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"not ready within {timeout}s: {last!r}")


def post_through_the_api(settings):
    from service.app import create_app

    app = create_app(settings)
    runtime = app.extensions["moderation"]
    _, key = runtime.api_keys.create("site", "conn-test")
    client = app.test_client()
    response = client.post("/v1/comments", json=POST, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.get_json()
    return runtime, response.get_json()["id"]


def test_sentinel_settings_reach_the_master(tmp_path):
    with RedisServer(appendonly=False) as master:
        port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\n"
                        f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n")
        sentinel = subprocess.Popen([find_server_binary(), str(conf), "--sentinel"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: Redis(port=port).ping())
            settings = make_settings("", redis_sentinels=f"127.0.0.1:{port}",
                                     redis_sentinel_master="mymaster")
            runtime, cid = post_through_the_api(settings)
            # The comment is on the master the sentinel named.
            assert Redis.from_url(master.url).hget(runtime.keys.comment(cid), "status") == b"pending"
        finally:
            sentinel.terminate()
            sentinel.wait(10)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make test certificates")
def test_tls_redis_url(tmp_path):
    ca_key, ca, key, csr, cert = (tmp_path / n for n in ("ca.key", "ca.pem", "s.key", "s.csr", "s.pem"))
    run = lambda *args: subprocess.run(args, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
        "-keyout", str(ca_key), "-out", str(ca))
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(key), "-out", str(csr))
    ext = tmp_path / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "1", "-extfile", str(ext), "-out", str(cert))
    port = free_port()
    server = subprocess.Popen(
        [find_server_binary(), "--port", "0", "--bind", "127.0.0.1", "--tls-port", str(port),
         "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
         "--tls-auth-clients", "no", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        try:
            output, _ = server.communicate(timeout=1)
        except subprocess.TimeoutExpired:
            output = None  # still running: it serves TLS
        if output is not None:
            if b"TLS support" in output:
                pytest.skip("this Redis server binary is built without TLS (Debian's redis-server has it)")
            raise AssertionError(output.decode(errors="replace")[-500:])
        url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}"
        settings = make_settings(url)
        wait_for(lambda: connect(settings).ping())
        runtime, cid = post_through_the_api(settings)
        assert runtime.comments.get(cid)["status"] == "pending"
        # Without the CA the server's certificate is refused: TLS really verifies.
        with pytest.raises(RedisError):
            connect(make_settings(f"rediss://127.0.0.1:{port}/0")).ping()
    finally:
        server.terminate()
        server.wait(10)
