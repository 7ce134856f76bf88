"""What went wrong around an AWS call when AWS itself did not answer with an error, in plain
words naming the cause: a profile's credential_process that cannot run or prints no
credentials, a model or endpoint file under AWS_DATA_PATH that botocore cannot use, and an
endpoint that answers, but not like AWS (an HTML 404 page, a proxy, a JSON body cut short).

Each becomes `AwsTrouble` (summary and explanation); `checks.net.aws.call` names the action.
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions as bce


class AwsTrouble(Exception):
    """A failure before or beside AWS's answer: `summary` (one line) and `explanation`."""

    def __init__(self, summary: str, explanation: str) -> None:
        super().__init__(summary)
        self.summary, self.explanation = summary, explanation


# --------------------------------------------------------------------------- text


def printable(text: str, limit: int = 200) -> str:
    """One line of printable text: control characters (CR, ESC…) dropped, whitespace runs
    made one space, cut at `limit` characters with an ellipsis."""
    text = re.sub(r"\s+", " ", "".join(c if c.isprintable() or c.isspace() else " "
                                       for c in text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def endpoint_label(url: str | None) -> str:
    """scheme://host:port of an endpoint URL, never a user or password written into it."""
    if not url:
        return "the AWS endpoint"
    parts = urlsplit(url)
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


# --------------------------------------------------------------------------- credential_process

_PROCESS_DOC = ("It must print one JSON object on stdout: {\"Version\": 1, \"AccessKeyId\": …, "
                "\"SecretAccessKey\": …} (plus \"SessionToken\" and \"Expiration\" for temporary "
                "credentials), and exit 0.")
#: what botocore's process provider lets through from a bad command or a bad print-out:
#: the program not found (OSError), not JSON (ValueError), JSON but not an object
#: (AttributeError, TypeError), an unbalanced quote in the command (ValueError from shlex)
_PROCESS_FAILURES = (OSError, ValueError, TypeError, AttributeError, KeyError)


def credentials(session: Any) -> Any:
    """The session's credentials, resolved once (botocore keeps them); a profile's
    credential_process that fails is named. No credentials at all is NoCredentialsError."""
    try:
        found = session.get_credentials()
    except bce.CredentialRetrievalError as exc:
        if getattr(exc, "kwargs", {}).get("provider") != "custom-process":
            raise
        raise _process_trouble(session, exc) from None
    except bce.BotoCoreError:  # some are OSError or ValueError too (timeouts, regions)
        raise
    except _PROCESS_FAILURES as exc:
        if _process_command(session) is None:
            raise
        raise _process_trouble(session, exc) from None
    if found is None:
        raise bce.NoCredentialsError()
    return found


def _process_command(session: Any) -> str | None:
    try:
        command = session._session.get_scoped_config().get("credential_process")
    except Exception:  # noqa: BLE001 - a config botocore cannot read names nothing to blame
        return None
    return str(command) if command else None


def _process_trouble(session: Any, exc: Exception) -> AwsTrouble:
    profile = getattr(session, "profile_name", None) or "default"
    words = (_process_command(session) or "").split()
    program = words[0] if words else "?"  # never its arguments: they may hold a secret
    shown = f"{program} …" if len(words) > 1 else program
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    who = f"the credential_process of AWS profile {profile!r}"
    where = f"boto3 runs {who} ({shown}, set in {config}) to get the AWS credentials. "
    fix = (" Fix the command in the AWS config, or choose another profile (--profile / "
           "AWS_PROFILE).")
    if isinstance(exc, OSError):
        why = printable(exc.strerror or str(exc))
        return AwsTrouble(f"{who} could not run ({program}: {why})",
                          f"{where}It could not be started: {why}.{fix}")
    if isinstance(exc, json.JSONDecodeError | AttributeError | TypeError | KeyError):
        return AwsTrouble(f"{who} did not print credentials JSON",
                          f"{where}What it printed is not a JSON object of credentials "
                          f"({type(exc).__name__}). {_PROCESS_DOC}{fix}")
    if isinstance(exc, ValueError):  # shlex: an unbalanced quote in the command
        why = printable(str(exc))
        return AwsTrouble(f"{who} is not a command line ({why})",
                          f"{where}The command could not be split into words: {why}.{fix}")
    message = printable(str(getattr(exc, "kwargs", {}).get("error_msg") or exc))
    if message.startswith(("Unsupported version", "Missing required key")):
        return AwsTrouble(f"{who} did not print credentials JSON ({message})",
                          f"{where}{message}. {_PROCESS_DOC}{fix}")
    said = f": {message}" if message else " (it printed nothing on stderr)"
    return AwsTrouble(f"{who} failed" + (f" ({message})" if message else ""),
                      f"{where}It exited with an error{said}.{fix}")


# --------------------------------------------------------------------------- AWS_DATA_PATH


def data_path_text() -> str:
    value = os.environ.get("AWS_DATA_PATH")
    return f"AWS_DATA_PATH ({value})" if value else "botocore's own data"


def unreadable_file(name: str, path: str | None, exc: Exception) -> AwsTrouble:
    """A data file (service model, endpoints…) that botocore could not parse."""
    what, where = _what(name), path or name
    why = (f"not valid JSON ({exc.msg}, line {exc.lineno})"
           if isinstance(exc, json.JSONDecodeError) else printable(f"{type(exc).__name__}: {exc}"))
    return AwsTrouble(
        f"{data_path_text()}: {what} {where} could not be loaded: {why}",
        f"botocore reads {what} from {where}, found through {data_path_text()}, and could "
        f"not load it: {why}. Remove or repair that file (or unset AWS_DATA_PATH to use the "
        "models botocore ships with).")


def unusable_model(service: str, loaded: dict[str, str], why: str) -> AwsTrouble:
    """A client that could not be built (or lacks an operation) from the files loaded from
    AWS_DATA_PATH (data name -> file)."""
    mine = {n: p for n, p in loaded.items() if n.startswith(f"{service}/")} or loaded
    files = ", ".join(sorted(mine.values()))
    what = ", ".join(sorted({_what(n) for n in mine}))
    why = printable(why).rstrip(".")
    return AwsTrouble(
        f"{data_path_text()}: {what} {files} could not be used ({printable(why, 120)})",
        f"botocore loaded {what} from {files} (through {data_path_text()}) but cannot use it "
        f"for {service}: {why}. Remove or repair that file, or unset AWS_DATA_PATH to use the "
        "models botocore ships with.")


def _what(name: str) -> str:
    """'sesv2/2019-09-27/service-2' -> 'the sesv2 service model'; 'endpoints' -> '...'."""
    parts = name.split("/")
    if len(parts) == 3:
        kind = {"service-2": "service model", "paginators-1": "paginator model",
                "waiters-2": "waiter model", "endpoint-rule-set-1": "endpoint rules"}.get(
                    parts[2].split(".")[0], parts[2])
        return f"the {parts[0]} {kind}"
    return f"the {name} data"


# --------------------------------------------------------------------------- not like AWS

_LAST = threading.local()


def remember_response(response_dict: Any = None, **_: Any) -> None:
    """botocore's before-parse hook: keep the raw answer of this thread's call."""
    _LAST.response = response_dict


def forget_response() -> None:
    _LAST.response = None


def _answer(meta_of: dict[str, Any]) -> dict[str, Any]:
    """The raw answer the hook kept, else what botocore's ResponseMetadata says of it."""
    found = getattr(_LAST, "response", None)
    if isinstance(found, dict):
        return found
    meta = meta_of.get("ResponseMetadata", {})
    return {"status_code": meta.get("HTTPStatusCode"), "headers": meta.get("HTTPHeaders")}


def content_type(headers: Any) -> str:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == "content-type":
            return str(value).split(";")[0].strip().lower()
    return ""


def looks_like_aws(content_type: str) -> bool:
    """AWS APIs answer JSON, XML or CBOR; an empty body may carry no type."""
    return not content_type or any(t in content_type for t in ("json", "xml", "cbor"))


def check_reply(endpoint: str | None, reply: dict[str, Any]) -> None:
    """A reply botocore parsed without complaint that was not AWS's raises AwsTrouble: a
    type AWS never answers with (an HTML page), or a JSON body that does not parse (botocore
    then quietly parses it as an empty reply, which would read as "nothing there")."""
    answer = _answer(reply)
    ctype = content_type(answer.get("headers"))
    if not looks_like_aws(ctype):
        raise not_aws(endpoint, answer)
    body = answer.get("body")
    if "json" in ctype and set(reply) <= {"ResponseMetadata"} and body and not _parses(body):
        raise not_aws(endpoint, answer, "its JSON body does not parse")


def _parses(body: bytes | str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def error_not_aws(endpoint: str | None, exc: bce.ClientError) -> AwsTrouble | None:
    """None for an error AWS named (NotFoundException, Throttling…); else the trouble:
    botocore puts the bare HTTP status (or nothing) in the code when the body was not an AWS
    error."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return None if code and not code.isdigit() else not_aws(endpoint, _answer(exc.response))


def unparsable(endpoint: str | None, exc: Exception) -> AwsTrouble | None:
    """A botocore parser that failed on an answer (ResponseParserError…); None when there
    was no answer (the failure is not the endpoint's)."""
    answer = getattr(_LAST, "response", None)
    if not isinstance(answer, dict):
        return None
    return not_aws(endpoint, answer, f"{type(exc).__name__}: {exc}")


def not_aws(endpoint: str | None, answer: dict[str, Any], detail: str = "") -> AwsTrouble:
    status, body = answer.get("status_code"), answer.get("body")
    ctype = content_type(answer.get("headers")) or "no content type"
    label = endpoint_label(endpoint)
    http = f"HTTP {status}" if status else "an answer"
    text = printable(body.decode("utf-8", "replace") if isinstance(body, bytes)
                     else str(body or ""))
    began = f" Its reply began: {text}" if text else " Its reply had no body."
    why = f" ({printable(detail, 120)})" if detail else ""
    return AwsTrouble(
        f"the endpoint {label} did not answer like AWS ({http}, {ctype})",
        f"{label} answered {http} with {ctype}, not an AWS API reply{why}: AWS_ENDPOINT_URL "
        "(or a proxy in between) may point at something that is not the AWS service, or the "
        f"service's path is wrong.{began}")
