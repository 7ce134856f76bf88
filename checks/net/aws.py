"""boto3 for the checks: one client per service and region per run, every call in a thread
with timeouts and throttling retried within the check's time limit, and AWS errors turned
into plain words.

The endpoint URL, region, profile and (for the lab) static credentials come from
`ctx.endpoints`. Errors become `AwsError` (a CheckError, so the runner reports `error`
with the explanation) unless the caller handles the code, e.g. NotFoundException.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
from typing import Any, ClassVar

import boto3
import botocore.exceptions as bce
import botocore.loaders
import botocore.session
from botocore.config import Config

from checks.context import Context
from checks.net import aws_trouble as trouble
from checks.registry import CheckError

#: boto3 service name -> IAM action prefix.
IAM_PREFIX = {"sesv2": "ses", "ses": "ses", "iam": "iam", "sts": "sts"}

#: What mailpath's read-only checks and `suppression list|show|export|stats` call: the
#: least-privilege policy is built from this (tests/integration/test_iam_policy.py keeps it so).
READ_ONLY_ACTIONS = (
    "ses:GetAccount",
    "ses:GetEmailIdentity",
    "ses:GetSuppressedDestination",
    "ses:ListSuppressedDestinations",
    "iam:GetAccessKeyLastUsed",
    "iam:ListAccessKeys",
)
#: `mailpath creds rotate`: a new IAM key for the SMTP user, the old one deactivated, deleted.
ROTATION_ACTIONS = (
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
)
#: `mailpath suppression remove|add`.
SUPPRESSION_WRITE_ACTIONS = (
    "ses:PutSuppressedDestination",
    "ses:DeleteSuppressedDestination",
)

_DENIED = "AWS refused the call: the credentials lack the IAM permission {action}."
_DENIED_FIX = " Add it to the policy of the user or role mailpath runs as (`mailpath iam-policy`)."

#: AWS error code -> plain explanation; {action} is the IAM action of the failed call.
ERROR_TEXT: dict[str, str] = {
    "AccessDenied": _DENIED + _DENIED_FIX,
    "AccessDeniedException": _DENIED + _DENIED_FIX,
    "UnauthorizedOperation": _DENIED + _DENIED_FIX,
    "ExpiredToken": "The temporary AWS credentials have expired. Refresh them "
    "(e.g. `aws sso login` or a new session token) and run again.",
    "ExpiredTokenException": "The temporary AWS credentials have expired. Refresh them "
    "(e.g. `aws sso login` or a new session token) and run again.",
    "RequestExpired": "AWS rejected the request as expired: check this machine's clock.",
    "InvalidClientTokenId": "AWS does not know these access keys: they were deleted, belong to "
    "another partition, or are mistyped. Configure valid credentials.",
    "UnrecognizedClientException": "AWS does not know these access keys: they were deleted or "
    "mistyped. Configure valid credentials.",
    "SignatureDoesNotMatch": "The AWS secret access key does not match the key id. Configure "
    "the right secret.",
    "Throttling": "AWS throttled the calls, even after retries. Wait a minute and run again.",
    "ThrottlingException": "AWS throttled the calls, even after retries. Wait a minute and "
    "run again.",
    "TooManyRequestsException": "AWS throttled the calls, even after retries. Wait a minute and "
    "run again.",
}

#: botocore exception class -> plain explanation (errors that happen before AWS answers).
EXCEPTION_TEXT: tuple[tuple[type[Exception], str], ...] = (
    (bce.NoCredentialsError, "No AWS credentials found. Run `aws configure`, set "
     "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --profile NAME."),
    (bce.ProfileNotFound, "That AWS profile does not exist in ~/.aws/config or "
     "~/.aws/credentials. Check --profile / AWS_PROFILE / AWS_DEFAULT_PROFILE."),
    (bce.NoRegionError, "No AWS region given. Pass --region or set AWS_REGION."),
    (bce.UnknownEndpointError, "AWS has no endpoint for that service in that region: check "
     "the region name."),
    (bce.EndpointConnectionError, "Could not reach the AWS endpoint: check the network, the "
     "region name, and AWS_ENDPOINT_URL."),
    (bce.ConnectTimeoutError, "The AWS endpoint did not answer in time (connect timeout)."),
    (bce.ReadTimeoutError, "The AWS endpoint stopped answering (read timeout)."),
    (bce.TokenRetrievalError, "Could not refresh the AWS SSO token: run `aws sso login`."),
)


class AwsError(CheckError):
    """An AWS call failed; `code` is the AWS error code ('' for client-side failures)."""

    def __init__(self, message: str, *, code: str = "", explanation: str = "") -> None:
        super().__init__(message, explanation=explanation)
        self.code = code


#: error codes worth a retry after a pause (AWS asks callers to back off)
THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                       "RequestLimitExceeded", "SlowDown"})
RETRIES = 3


#: the longest connect or read timeout of one AWS request, in seconds
MAX_REQUEST_SECONDS = 5.0


def request_limit(ctx: Context) -> float:
    """Connect and read timeout of one AWS request: half the check's time limit (so a
    retry fits), from 1 s to MAX_REQUEST_SECONDS."""
    return max(1.0, min(MAX_REQUEST_SECONDS, ctx.endpoints.timeout / 2))


def _config(ctx: Context) -> Config:
    """botocore retries nothing: `call` retries throttling itself, with pauses sized to the
    check's time limit and waited on the event loop, not in a worker thread."""
    limit = request_limit(ctx)
    return Config(connect_timeout=limit, read_timeout=limit,
                  retries={"total_max_attempts": 1, "mode": "standard"})


def backoff(ctx: Context, attempt: int) -> float:
    """Seconds before retry `attempt` (0-based): doubling, all RETRIES together about a
    sixth of the check's time limit, jittered so parallel checks do not retry in step."""
    return ctx.endpoints.timeout / 40 * 2.0**attempt * random.uniform(0.5, 1.0)


def missing_profile(name: str, what: str = "--profile") -> str | None:
    """One line when `name` is not an AWS profile boto3 can load (as Session(profile_name=)
    would refuse it), naming where profiles are read; None when it is one."""
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    try:
        known = botocore.session.Session().available_profiles
    except bce.BotoCoreError as exc:
        return f"{what} {name!r}: the AWS profiles in {config} / {shared} cannot be read: {exc}"
    if name in known:
        return None
    listed = ", ".join(sorted(known)) or "none"
    return (f"{what} {name!r} is not an AWS profile: profiles are read from {config} and "
            f"{shared} (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE move them); "
            f"known: {listed}")


class _ProcessLoader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's data loader, with the files it parsed kept for the whole process.

    Each run makes its own session (credentials and profiles are read afresh), and a new
    session would parse the same service models and endpoint rules again: tens of ms of CPU
    and about 100,000 objects for the garbage collector, on the critical path of every
    diagnosis after the first (the TUI's re-runs). The files are read-only data; they are
    kept per search path, so an AWS_DATA_PATH change is honoured."""

    _parsed: ClassVar[dict[tuple[str, ...], dict[Any, Any]]] = {}
    #: per search path: data name -> file, for the files found outside botocore's own data
    #: (AWS_DATA_PATH), so that a client they break can name them
    _outside: ClassVar[dict[tuple[str, ...], dict[str, str]]] = {}

    @property
    def _cache(self) -> dict[Any, Any]:
        return self._parsed.setdefault(tuple(self.search_paths), {})

    @_cache.setter
    def _cache(self, _fresh: dict[Any, Any]) -> None:
        """Loader.__init__ starts an empty cache per instance; the process's one stays."""

    @property
    def outside(self) -> dict[str, str]:
        return self._outside.setdefault(tuple(self.search_paths), {})

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        """botocore's, with a file it cannot parse named (not a bare JSONDecodeError), and
        the files found outside botocore's own data remembered (`outside`)."""
        try:
            data, path = super().load_data_with_path(name)
        except (ValueError, OSError, UnicodeError) as exc:
            files = [f for f in (os.path.join(p, name) + ".json" for p in self.search_paths)
                     if os.path.exists(f)]
            raise trouble.unreadable_file(name, files[0] if files else None, exc) from None
        if not self.is_builtin_path(path):  # botocore gives the path without its suffix
            self.outside[name] = next((path + ext for ext in (".json", ".json.gz")
                                       if os.path.exists(path + ext)), path)
        return data, path


def _outside_files(session: boto3.session.Session) -> dict[str, str]:
    """Data name -> file of what this session's loader read from AWS_DATA_PATH."""
    loader = session._session.get_component("data_loader")
    return dict(getattr(loader, "outside", {}))


def _botocore_session() -> Any:
    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    extra = ([os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
             if data_path else None)
    core.register_component("data_loader", _ProcessLoader(extra_search_paths=extra))
    return core


def _session(ctx: Context) -> boto3.session.Session:
    """A profile given on purpose is boto3's profile_name (it then wins over access keys in
    the environment); one named only by AWS_PROFILE / AWS_DEFAULT_PROFILE is left to boto3,
    which reads it itself after AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, as the AWS CLI does."""
    ep = ctx.endpoints
    creds: dict[str, str] = {}
    if ep.aws_static_credentials:
        creds = dict(zip(("aws_access_key_id", "aws_secret_access_key"),
                         ep.aws_static_credentials, strict=True))
    return boto3.session.Session(botocore_session=_botocore_session(),
                                 profile_name=ep.aws_profile, **creds)


def client(ctx: Context, service: str, region: str | None = None) -> Any:
    """The run's boto3 client for this service and region (made once, then shared)."""
    region = region or ctx.endpoints.aws_region

    def make() -> Any:
        session = ctx.shared("aws:session", lambda: _session(ctx))
        trouble.credentials(session)  # a broken credential_process named, not a traceback
        try:
            made = session.client(service, region_name=region,
                                  endpoint_url=ctx.endpoints.aws_endpoint_url,
                                  config=_config(ctx))
        except (bce.BotoCoreError, trouble.AwsTrouble):
            raise
        except Exception as exc:  # noqa: BLE001 - botocore's own model checks (MissingServiceId…)
            files = _outside_files(session)
            if not files:
                raise
            raise trouble.unusable_model(service, files, f"{type(exc).__name__}: {exc}") from None
        made.meta.events.register("before-parse", trouble.remember_response)
        return made

    return ctx.shared(f"aws:{service}:{region}", make)


async def client_async(ctx: Context, service: str, region: str | None = None) -> Any:
    """`client`, made in a thread: building a boto3 client parses its service model (tens of
    ms of CPU) and would stall every other check on the event loop meanwhile."""
    region = region or ctx.endpoints.aws_region
    return await ctx.memo(("aws-client", service, region),
                          lambda: asyncio.to_thread(client, ctx, service, region))


def action_name(service: str, operation: str) -> str:
    """`sesv2`, `get_account` -> `ses:GetAccount`."""
    camel = "".join(part.capitalize() for part in operation.split("_"))
    return f"{IAM_PREFIX.get(service, service)}:{camel}"


async def call(ctx: Context, service: str, operation: str, *, region: str | None = None,
               **params: Any) -> dict[str, Any]:
    """Call one AWS operation in a thread; failures become AwsError with plain words."""
    try:
        api = _operation(ctx, await client_async(ctx, service, region), service, operation)
        reply = await _with_retries(ctx, api, params, (service, operation))
    except AwsError:
        raise
    except trouble.AwsTrouble as exc:
        raise AwsError(f"{action_name(service, operation)} could not be called: {exc.summary}",
                       explanation=exc.explanation) from None
    except (bce.ConnectTimeoutError, bce.ReadTimeoutError) as exc:
        raise timeout_error(ctx, exc, service, operation) from None
    except Exception as exc:  # noqa: BLE001 - botocore's errors, named or not, never a traceback
        raise local_error(exc, service, operation) from None
    reply.pop("ResponseMetadata", None)
    return reply


def _operation(ctx: Context, made: Any, service: str, operation: str) -> Any:
    """The client's method; one a model from AWS_DATA_PATH lacks names that model."""
    api = getattr(made, operation, None)
    if api is not None:
        return api
    files = _outside_files(ctx.shared("aws:session", lambda: _session(ctx)))
    if files:
        raise trouble.unusable_model(service, files, f"it has no operation "
                                     f"{action_name(service, operation).partition(':')[2]}")
    raise AttributeError(f"{service} has no operation {operation}")


def _call_in_thread(api: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The call itself (in a worker thread); an answer that is not AWS's becomes AwsTrouble
    naming the endpoint, HTTP status and content type (the body goes to the explanation)."""
    endpoint = api.__self__.meta.endpoint_url
    trouble.forget_response()
    try:
        reply: dict[str, Any] = api(**params)
    except bce.ClientError as exc:
        if (found := trouble.error_not_aws(endpoint, exc)) is None:
            raise
        raise found from None
    except bce.BotoCoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser failing on what the endpoint said
        if (found := trouble.unparsable(endpoint, exc)) is None:
            raise
        raise found from None
    trouble.check_reply(endpoint, reply)
    return reply


async def _with_retries(ctx: Context, api: Any, params: dict[str, Any],
                        what: tuple[str, str]) -> dict[str, Any]:
    """One call in a thread; throttling and AWS's own 5xx errors retried RETRIES times, then
    named with the count (a 5xx that is not an AWS error reply is named at once)."""
    for attempt in range(RETRIES + 1):
        try:
            reply: dict[str, Any] = await asyncio.to_thread(_call_in_thread, api, params)
            return reply
        except bce.ClientError as exc:
            if not _retryable(exc) or attempt == RETRIES:
                raise client_error(exc, *what, retries=attempt) from None
        await asyncio.sleep(backoff(ctx, attempt))
    raise AssertionError("unreachable")


def _retryable(exc: bce.ClientError) -> bool:
    """Throttling, or AWS's own passing failure (HTTP 5xx), as botocore would retry."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in THROTTLED or int(status) >= 500


def client_error(exc: bce.ClientError, service: str, operation: str,
                 retries: int = 0) -> AwsError:
    err = exc.response.get("Error", {})
    code, message = str(err.get("Code", "")), str(err.get("Message", ""))
    action = action_name(service, operation)
    explanation = ERROR_TEXT.get(code, "AWS answered with an error: {code}.").format(
        action=action, code=code)
    what = code or "error"
    if code in THROTTLED:
        what = f"throttled ({code}) after {retries} retries"
    elif retries:
        what = f"{what} after {retries} retries"
    message = trouble.printable(message)
    return AwsError(f"{action} failed: {what}" + (f" ({message})" if message else ""),
                    code=code, explanation=explanation)


def local_error(exc: Exception, service: str, operation: str) -> AwsError:
    explanation = next((text for kind, text in EXCEPTION_TEXT if isinstance(exc, kind)),
                       trouble.printable(f"{type(exc).__name__}: {exc}", 300))
    return AwsError(f"{action_name(service, operation)} could not be called: "
                    f"{first_sentence(explanation)}", explanation=explanation)


def timeout_error(ctx: Context, exc: Exception, service: str, operation: str) -> AwsError:
    """A request that ran out of its time; when a short --timeout made that time short, the
    message says so (the endpoint may be fine, only slower than the limit)."""
    limit, configured = request_limit(ctx), ctx.endpoints.timeout
    if limit >= MAX_REQUEST_SECONDS:  # the cap, not the user's limit
        return local_error(exc, service, operation)
    which = "connect" if isinstance(exc, bce.ConnectTimeoutError) else "read"
    return AwsError(
        f"{action_name(service, operation)} could not be called: no answer from the AWS "
        f"endpoint within {limit:g} s ({which} timeout set from --timeout {configured:g})",
        explanation=f"mailpath gives each AWS request half the per-check time limit "
        f"(--timeout, now {configured:g} s), from 1 to {MAX_REQUEST_SECONDS:g} s, and the "
        f"endpoint took longer than {limit:g} s. With a short limit that is no sign that "
        "AWS is at fault: run again with a larger --timeout.")


def first_sentence(text: str) -> str:
    """Up to the first '.' that ends a sentence (not the dot in `~/.aws` or `e.g.`)."""
    head = re.split(r"(?<!e\.g)\.(?:\s|$)", text, maxsplit=1)[0]
    return head.rstrip(".")


def iam_policy(*, rotation: bool = False, suppression_write: bool = False) -> str:
    """The least-privilege IAM policy for mailpath's read-only checks, as JSON; the write
    actions of rotation and suppression edits only when asked for."""
    parts: list[tuple[str, tuple[str, ...]]] = [("MailpathReadOnly", READ_ONLY_ACTIONS)]
    if rotation:
        parts.append(("MailpathRotateSmtpKeys", ROTATION_ACTIONS))
    if suppression_write:
        parts.append(("MailpathEditSuppressionList", SUPPRESSION_WRITE_ACTIONS))
    statements = [{"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": "*"}
                  for sid, actions in parts]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
