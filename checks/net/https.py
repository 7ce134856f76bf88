"""HTTPS adapter: GET a small document (an MTA-STS policy) with routing, a CA file and a timeout."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from checks.endpoints import Endpoints
from checks.net.tls import trusted_context

__all__ = ["HttpsResult", "fetch", "routed"]

TIMEOUT = 5.0
MAX_BYTES = 64 * 1024  # RFC 8461 3.3: policy bodies are small; do not read more


@dataclass(frozen=True)
class HttpsResult:
    """What a GET gave: status, content type and text, or why there is none."""

    url: str
    status: int | None = None
    content_type: str = ""
    text: str = ""
    error: str = ""
    #: where the request really went (the lab routes hosts to loopback)
    connected_to: str = ""
    #: the failure proves nothing about the server: refused, unreachable or timed out from
    #: this machine (its network may block the port, or be slow), or a local resolver failure
    inconclusive: bool = False
    #: the body was longer than MAX_BYTES and `text` holds only its first MAX_BYTES
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

    def evidence(self) -> str:
        head = f"GET {self.url}" + (f" (via {self.connected_to})" if self.connected_to else "")
        if self.error:
            return f"{head}\n! {self.error}"
        cut = f"\n[cut: the body is longer than the {MAX_BYTES} bytes read]" \
            if self.truncated else ""
        return (f"{head}\nHTTP {self.status}  Content-Type: {self.content_type}\n\n"
                f"{self.text}{cut}")


def _ssl_context(endpoints: Endpoints) -> ssl.SSLContext:
    return trusted_context(endpoints.ca_file)


def routed(endpoints: Endpoints, host: str) -> bool:
    """The lab (or the user) maps host to another URL: no name lookup is needed."""
    return endpoints.https_url(host, "/") != f"https://{host}/"


async def fetch(
    endpoints: Endpoints,
    host: str,
    path: str,
    *,
    timeout: float = TIMEOUT,
    address: str | None = None,
) -> HttpsResult:
    """GET https://host/path (or its routed URL), never following redirects (RFC 8461 3.3).

    `address`: connect there (an IP the configured nameserver gave for host) instead of
    asking the system resolver; TLS still checks the certificate against host (SNI)."""
    url = f"https://{host}{path}"
    target = endpoints.https_url(host, path)
    extensions: dict[str, str] = {}
    if address and not routed(endpoints, host):
        target = f"https://{f'[{address}]' if ':' in address else address}{path}"
        extensions["sni_hostname"] = host
    via = "" if target == url else urlsplit(target).netloc
    try:
        async with httpx.AsyncClient(
            verify=_ssl_context(endpoints), timeout=timeout, follow_redirects=False
        ) as client, client.stream(
            "GET", target, headers={"Host": host}, extensions=extensions
        ) as response:
            body, truncated = await _read_at_most(response, MAX_BYTES)
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        error, inconclusive = failure_text(exc, timeout)
        return HttpsResult(url, error=error, connected_to=via, inconclusive=inconclusive)
    text = body.decode("utf-8", errors="replace")
    ctype = response.headers.get("content-type", "")
    return HttpsResult(url, response.status_code, ctype, text, connected_to=via,
                       truncated=truncated)


async def _read_at_most(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body's first `limit` bytes, and whether there was more; stops reading there, so
    a huge (or endless) body is never held in memory."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


#: httpx timeouts -> what happened, in words
_TIMEOUTS: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.ConnectTimeout, "no answer to the connection attempt within {t:g} s"),
    (httpx.TimeoutException, "no answer within {t:g} s"),
)
#: getaddrinfo texts of a local resolver failure (as opposed to "no such host")
_LOCAL_DNS = ("Temporary failure in name resolution", "System error")


def failure_text(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """(what went wrong in plain words, whether it is inconclusive about the server)."""
    for kind, text in _TIMEOUTS:
        if isinstance(exc, kind):
            return text.format(t=timeout), True
    cause = _root_cause(exc)
    if isinstance(cause, socket.gaierror):
        local = any(t in str(cause) for t in _LOCAL_DNS)
        return f"the host name does not resolve ({cause.strerror or cause})", local
    if isinstance(cause, ssl.SSLCertVerificationError):
        why = cause.verify_message or str(cause.reason)
        return f"the certificate is not trusted or does not match the host ({why})", False
    if isinstance(cause, ssl.SSLError):
        return f"the TLS handshake failed ({cause.reason or cause})", False
    if isinstance(cause, OSError | httpx.ConnectError):
        return _connection_text(cause), True
    return f"the server's answer is not valid HTTP ({type(cause).__name__})", False


def _connection_text(cause: BaseException) -> str:
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, ConnectionError):
        return "the connection was closed"
    if isinstance(cause, OSError) and cause.strerror:
        return f"could not connect ({cause.strerror.lower()})"
    return "could not connect"


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception httpx wrapped (a refused connection, a certificate error…)."""
    seen: list[BaseException] = []
    while exc not in seen:
        seen.append(exc)
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc
