"""A fake Bot Framework OpenID endpoint: the metadata document and the JWKS it points at,
served from a thread of its own, plus helpers to mint tokens the way the Bot Framework does.

The server runs outside the event loop on purpose: a test that checks the bot never blocks
its loop on a key fetch needs an endpoint that still answers (or stalls) while that loop
is stuck, and that gives up after ``max_stall`` seconds so a regression fails instead of
hanging the suite.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


class SigningKey:
    """An RSA key pair with a key id, as the Bot Framework publishes its public half."""

    def __init__(self, kid: str, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.kid = kid
        self.endorsements = endorsements
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        return public | {"kid": self.kid, "use": "sig", "endorsements": list(self.endorsements)}

    def token(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """A token signed with this key (``kid`` defaults to this key's id)."""
        return jwt.encode(claims, self._private, algorithm="RS256",
                          headers={"kid": kid or self.kid})  # fmt: skip


def channel_claims(app_id: str, service_url: str, *, lifetime: int = 3600) -> dict[str, Any]:
    """The claims of a token the Bot Framework sends a bot with every activity."""
    now = int(time.time())
    return {"iss": CHANNEL_ISSUER, "aud": app_id, "serviceurl": service_url,
            "nbf": now - 60, "iat": now - 60, "exp": now + lifetime}  # fmt: skip


def forged_token(app_id: str, service_url: str, kid: str = "forged-kid") -> str:
    """A token that claims the Bot Framework as issuer but is signed by nobody it trusts."""
    return jwt.encode(channel_claims(app_id, service_url), "not-a-bot-framework-key-0123456789",
                      algorithm="HS256", headers={"kid": kid})  # fmt: skip


class FakeOpenIdEndpoint:
    """Serves ``METADATA_PATH`` and ``KEYS_PATH`` on a loopback port from a thread.

    ``requests`` counts the GETs per path. With :meth:`stall` on, every request is read and
    then held (``received`` is set) until :meth:`release` or ``max_stall`` seconds pass,
    when the connection is closed without an answer.
    """

    def __init__(self, keys: tuple[SigningKey, ...] = (), *, max_stall: float = 10.0) -> None:
        self.keys = keys
        self.max_stall = max_stall
        self.requests: dict[str, int] = {}
        self.received = threading.Event()
        self._stalling = False
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{METADATA_PATH}"

    def stall(self) -> None:
        self._stalling = True
        self._released.clear()

    def release(self) -> None:
        self._stalling = False
        self._released.set()

    def fetches(self) -> int:
        """How many metadata documents were asked for (one per key refresh)."""
        with self._lock:
            return self.requests.get(METADATA_PATH, 0)

    @contextmanager
    def running(self) -> Iterator[FakeOpenIdEndpoint]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release()
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=10)

    def _answer(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1
        self.received.set()
        if self._stalling:
            self._released.wait(self.max_stall)
            return None
        if path == METADATA_PATH:
            return {"issuer": CHANNEL_ISSUER, "jwks_uri": self.metadata_url.replace(
                METADATA_PATH, KEYS_PATH)}  # fmt: skip
        if path == KEYS_PATH:
            return {"keys": [key.jwk() for key in self.keys]}
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = endpoint._answer(self.path)
                if body is None:
                    self.close_connection = True
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
