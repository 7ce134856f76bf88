"""Where the outside world is: AWS, DNS, SMTP and HTTPS endpoints in one object.

Real use takes the defaults (boto3's credential chain, the system resolver, the real
hosts). The lab passes loopback endpoints. No check knows which it got.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


class EndpointError(ValueError):
    """An endpoint setting (flag or environment variable) could not be understood."""


@dataclass(frozen=True)
class Endpoints:
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    #: a profile named on purpose (--profile, a stored profile's aws_profile, the TUI's
    #: settings): passed to boto3 as profile_name, so it wins over AWS_ACCESS_KEY_ID/… keys.
    aws_profile: str | None = None
    #: (variable, name) of the profile AWS_DEFAULT_PROFILE or AWS_PROFILE names, for messages
    #: and the start-up check only: boto3 reads the variable itself, as the AWS CLI does, so
    #: access keys in the environment come first in its chain.
    aws_env_profile: tuple[str, str] | None = None
    #: fixed (key id, secret) for the lab's AWS stand-in only; real use takes boto3's chain.
    aws_static_credentials: tuple[str, str] | None = None
    #: DNS servers as (host, port); empty means the system resolver.
    nameservers: tuple[tuple[str, int], ...] = ()
    #: authoritative nameserver address -> (host, port) to query instead ("*" matches any);
    #: used by the propagation check, which asks a domain's own nameservers directly.
    dns_routes: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    #: "host:port" the check wants -> (host, port) to actually connect to. "*:25" matches any host.
    smtp_routes: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    #: hostname -> base URL to use instead of https://hostname (e.g. "https://127.0.0.1:4431").
    https_routes: Mapping[str, str] = field(default_factory=dict)
    #: extra CA bundle to trust for TLS (the lab's generated certificate).
    ca_file: str | None = None
    #: default per-check timeout in seconds.
    timeout: float = 10.0
    #: DNS blocklist zones to ask about sending IPs; empty means the built-in list.
    dnsbl_zones: tuple[str, ...] = ()

    def smtp_address(self, host: str, port: int) -> tuple[str, int]:
        """The address to connect to for host:port, after routing."""
        key = f"{host.lower().rstrip('.')}:{port}"
        return self.smtp_routes.get(key) or self.smtp_routes.get(f"*:{port}") or (host, port)

    def dns_address(self, address: str) -> tuple[str, int]:
        """Where to send a direct query meant for the nameserver at address:53."""
        return self.dns_routes.get(address) or self.dns_routes.get("*") or (address, 53)

    def https_url(self, host: str, path: str) -> str:
        base = self.https_routes.get(host.lower().rstrip("."), f"https://{host}")
        return base.rstrip("/") + path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Endpoints:
        """Read MAILPATH_* and AWS_* variables (as `mailpath lab` prints them)."""
        env = os.environ if env is None else env
        given = {k: v for k, v in overrides.items() if v is not None}
        _refuse_empty_aws_variables(env, given)
        values: dict[str, object] = {
            "aws_endpoint_url": env.get("AWS_ENDPOINT_URL") or None,
            "aws_region": "us-east-1" if "aws_region" in given else _env_region(env),
            "aws_env_profile": None if "aws_profile" in given else _env_profile(env),
            "ca_file": env.get("MAILPATH_CA_FILE") or None,
        }
        for key, (variable, parse) in _PARSED_VARIABLES.items():
            if key not in given:  # a flag wins over its variable, even a bad one
                values[key] = _parse_variable(env, variable, parse)
        values.update(given)
        if values["ca_file"]:
            check_ca_file(str(values["ca_file"]))
        if values["aws_endpoint_url"]:
            values["aws_endpoint_url"] = check_aws_endpoint_url(str(values["aws_endpoint_url"]))
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The inverse of from_env, for `mailpath lab`'s export lines."""
        env = {"AWS_REGION": self.aws_region, "AWS_DEFAULT_REGION": self.aws_region}
        if self.aws_endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        if self.aws_static_credentials:
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = self.aws_static_credentials
        if self.nameservers:
            env["MAILPATH_NAMESERVER"] = ",".join(_join(h, p) for h, p in self.nameservers)
        if self.smtp_routes:
            env["MAILPATH_SMTP_ROUTES"] = ",".join(
                f"{k}={_join(h, p)}" for k, (h, p) in sorted(self.smtp_routes.items())
            )
        if self.dns_routes:
            env["MAILPATH_DNS_ROUTES"] = ",".join(
                f"{k}={_join(h, p)}" for k, (h, p) in sorted(self.dns_routes.items())
            )
        if self.https_routes:
            env["MAILPATH_HTTPS_ROUTES"] = ",".join(
                f"{k}={v}" for k, v in sorted(self.https_routes.items())
            )
        if self.ca_file:
            env["MAILPATH_CA_FILE"] = self.ca_file
        if self.dnsbl_zones:
            env["MAILPATH_DNSBL_ZONES"] = ",".join(self.dnsbl_zones)
        return env


#: boto3's variables that mailpath or boto3 reads: set but empty is a mistake (an unset shell
#: variable), not "use the default" (boto3 would look for a profile named '' or call an
#: endpoint ''); the flag that stands in for each, if any, wins over it
_AWS_NOT_EMPTY = {"AWS_PROFILE": "aws_profile", "AWS_DEFAULT_PROFILE": "aws_profile",
                  "AWS_REGION": "aws_region", "AWS_DEFAULT_REGION": "aws_region",
                  "AWS_ENDPOINT_URL": "", "AWS_CONFIG_FILE": "",
                  "AWS_SHARED_CREDENTIALS_FILE": "", "AWS_DATA_PATH": ""}
_AWS_FLAGS = {"aws_profile": "--profile", "aws_region": "--region"}
#: where boto3 looks for the profile's name, in its order (the first set wins)
AWS_PROFILE_VARIABLES = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")


def _refuse_empty_aws_variables(env: Mapping[str, str], given: Mapping[str, object]) -> None:
    for variable, field_name in _AWS_NOT_EMPTY.items():
        text = env.get(variable)
        if text is None or text.strip() or (field_name and field_name in given):
            continue
        flag = _AWS_FLAGS.get(field_name)
        instead = f"unset it for the default, or give {flag}" if flag else "unset it"
        raise EndpointError(f"{variable} is set but empty (an unset shell variable?); {instead}")


def _env_profile(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, profile name) as boto3 reads it: AWS_DEFAULT_PROFILE, else AWS_PROFILE."""
    variable = next((v for v in AWS_PROFILE_VARIABLES if env.get(v)), None)
    return (variable, env[variable]) if variable else None


def _env_region(env: Mapping[str, str]) -> str:
    """AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1; checked as --region is. These
    are boto3's variables: a bad one is refused for mailpath's use only, naming it."""
    from checks import validate

    variable = "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION"
    value = env.get(variable)
    if not value:
        return "us-east-1"
    try:
        return validate.region(value, variable)
    except validate.InvalidValue as exc:
        raise EndpointError(f"{exc} ({variable} is boto3's variable; mailpath reads it as "
                            "the SES region when no region is given)") from None


#: variables with a flag of their own: set but empty is a mistake (an unset shell variable),
#: as an empty flag is, not "use the default"
_NOT_EMPTY_VARIABLES = {"MAILPATH_NAMESERVER": ("--nameserver", "server (HOST[:PORT])"),
                        "MAILPATH_DNSBL_ZONES": ("--dnsbl", "zone")}


def _parse_variable(env: Mapping[str, str], variable: str,
                    parse: Callable[[str], object]) -> object:
    """One variable's parsed value; a bad value is an EndpointError naming the variable."""
    text = env.get(variable)
    if text is not None and variable in _NOT_EMPTY_VARIABLES and not text.strip(" \t,"):
        flag, thing = _NOT_EMPTY_VARIABLES[variable]
        what = (f"{variable} is set but empty (an unset shell variable?)" if not text.strip()
                else f"{variable} {text!r} names no {thing}")
        raise EndpointError(f"{what}; unset it for the default, or give {flag}")
    try:
        return parse(text or "")
    except EndpointError as exc:
        raise EndpointError(f"{variable}: {exc}") from None


def _join(host: str, port: int) -> str:
    """HOST:PORT, with an IPv6 address in brackets so that parse_host_port reads it back."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_aws_endpoint_url(url: str | None) -> str | None:
    """AWS_ENDPOINT_URL must be an http(s) URL with a host, or boto3 fails in every check."""
    from urllib.parse import urlsplit

    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"AWS_ENDPOINT_URL {url!r} is not an http(s) URL with a host "
                            "(e.g. https://email.us-east-1.amazonaws.com)")
    return url.strip()


def check_ca_file(path: str) -> None:
    """A CA bundle the user points at must load, or every TLS check would blame the server."""
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise EndpointError(f"MAILPATH_CA_FILE {path}: no such file") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise EndpointError(
            f"MAILPATH_CA_FILE {path}: not a CA bundle of PEM certificates ({reason})"
        ) from None


def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """Parse HOST, HOST:PORT or [V6]:PORT."""
    text = text.strip()
    if not text:
        raise EndpointError("empty host")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host or any(c in host for c in "[]/@ \t,=") or (":" in host and not _is_ipv6(host)):
        raise EndpointError(f"bad host in {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise EndpointError(f"bad port in {text!r}")
    return host, int(port_text)


def _is_ipv6(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _explicit_port(text: str, what: str) -> tuple[str, int]:
    """HOST:PORT (or [V6]:PORT) with the port written out."""
    host, port = parse_host_port(text, 0)
    if port == 0:
        raise EndpointError(f"{what} {text.strip()!r} has no port (HOST:PORT)")
    return host, port


def parse_nameservers(text: str) -> tuple[tuple[str, int], ...]:
    return tuple(parse_host_port(part, 53) for part in text.split(",") if part.strip())


def parse_smtp_routes(text: str) -> dict[str, tuple[str, int]]:
    routes: dict[str, tuple[str, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, target = part.partition("=")
        if not sep or ":" not in key:
            raise EndpointError(f"SMTP route {part!r} is not HOST:PORT=HOST:PORT")
        host, _, port = key.strip().lower().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise EndpointError(f"SMTP route {part!r}: {key.strip()!r} is not HOST:PORT")
        routes[f"{host}:{int(port)}"] = _explicit_port(target, f"SMTP route {part!r}: target")
    return routes


def parse_https_routes(text: str) -> dict[str, str]:
    routes: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, target = part.partition("=")
        if not sep or not target.startswith("https://"):
            raise EndpointError(f"HTTPS route {part!r} is not HOST=https://HOST:PORT")
        routes[key.strip().lower()] = target.strip()
    return routes


def parse_dns_routes(text: str) -> dict[str, tuple[str, int]]:
    """'ADDRESS=HOST:PORT,*=HOST:PORT' for direct queries to authoritative nameservers."""
    routes: dict[str, tuple[str, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, target = part.partition("=")
        if not sep or not key.strip():
            raise EndpointError(f"DNS route {part!r} is not ADDRESS=HOST:PORT")
        routes[key.strip().lower()] = parse_host_port(target, 53)
    return routes


_ZONE = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def parse_dnsbl_zones(text: str) -> tuple[str, ...]:
    """'zen.spamhaus.org,bl.spamcop.net': DNS blocklist zones, checked to be domain names."""
    zones = []
    for given in (z.strip() for z in text.split(",") if z.strip()):
        zone = given.lower().rstrip(".")
        if not _ZONE.match(zone):
            raise EndpointError(f"DNSBL zone {given!r} is not a domain name")
        zones.append(zone)
    return tuple(dict.fromkeys(zones))


#: Endpoints field -> (environment variable, parser), read by Endpoints.from_env.
_PARSED_VARIABLES: dict[str, tuple[str, Callable[[str], object]]] = {
    "nameservers": ("MAILPATH_NAMESERVER", parse_nameservers),
    "smtp_routes": ("MAILPATH_SMTP_ROUTES", parse_smtp_routes),
    "dns_routes": ("MAILPATH_DNS_ROUTES", parse_dns_routes),
    "https_routes": ("MAILPATH_HTTPS_ROUTES", parse_https_routes),
    "dnsbl_zones": ("MAILPATH_DNSBL_ZONES", parse_dnsbl_zones),
}
