"""HTTPS stand-in: MTA-STS policies at /.well-known/mta-sts.txt, chosen by the Host header."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from checks.lab.scenario import MtaStsPolicy

POLICY_PATH = "/.well-known/mta-sts.txt"


class _PolicyServer(ThreadingHTTPServer):
    daemon_threads = True
    policies: Mapping[str, MtaStsPolicy] = {}
    delay: float = 0.0

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that rejects the lab certificate is an expected case, not a crash."""


class _Handler(BaseHTTPRequestHandler):
    server: _PolicyServer
    server_version = "mailpath-lab"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.server.delay:
            time.sleep(self.server.delay)
        host = (self.headers.get("Host") or "").split(":")[0].lower().rstrip(".")
        policy = self.server.policies.get(host)
        if policy is None or self.path.split("?")[0] != POLICY_PATH:
            self._send(404, "text/plain", b"Not Found\n")
            return
        self._send(200, policy.content_type, policy.body.encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the lab must not write to the terminal."""


class HttpsStandIn:
    """A TLS web server on 127.0.0.1:random serving the scenario's MTA-STS policies."""

    def __init__(self, policies: Mapping[str, MtaStsPolicy], context: ssl.SSLContext,
                 *, delay: float = 0.0) -> None:
        self._server = _PolicyServer(("127.0.0.1", 0), _Handler, bind_and_activate=True)
        self._server.policies = dict(policies)
        self._server.delay = delay
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="lab-https")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> int:
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
