"""HTTPS adapter: GET a small document (an MTA-STS policy) with routing, a CA file and a timeout."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from checks.endpoints import Endpoints
from checks.net.tls import trusted_context

__all__ = ["HttpsResult", "fetch"]

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

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

    def evidence(self) -> str:
        head = f"GET {self.url}" + (f" (via {self.connected_to})" if self.connected_to else "")
        if self.error:
            return f"{head}\n! {self.error}"
        return f"{head}\nHTTP {self.status}  Content-Type: {self.content_type}\n\n{self.text}"


def _ssl_context(endpoints: Endpoints) -> ssl.SSLContext:
    return trusted_context(endpoints.ca_file)


async def fetch(
    endpoints: Endpoints, host: str, path: str, *, timeout: float = TIMEOUT
) -> HttpsResult:
    """GET https://host/path (or its routed URL), never following redirects (RFC 8461 3.3)."""
    url = f"https://{host}{path}"
    target = endpoints.https_url(host, path)
    via = "" if target == url else urlsplit(target).netloc
    try:
        async with httpx.AsyncClient(
            verify=_ssl_context(endpoints), timeout=timeout, follow_redirects=False
        ) as client:
            response = await client.get(target, headers={"Host": host})
    except httpx.TimeoutException:
        return HttpsResult(url, error=f"no answer within {timeout:g} s", connected_to=via)
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        return HttpsResult(url, error=_plain_error(exc), connected_to=via)
    text = response.content[:MAX_BYTES].decode("utf-8", errors="replace")
    ctype = response.headers.get("content-type", "")
    return HttpsResult(url, response.status_code, ctype, text, connected_to=via)


def _plain_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"the certificate is not trusted or does not match the host ({text})"
    return text
