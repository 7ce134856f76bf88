"""AWS failures that are not AWS error replies end as one clear line naming the cause and
the IAM action called, never a traceback: a profile's credential_process that cannot start
or prints no credentials, a service model under AWS_DATA_PATH that is junk or `{}`, and an
AWS_ENDPOINT_URL that answers an HTML 404 page, a 500 with a cut-short JSON body, or a 200
whose JSON does not parse.

`mailpath check --json` ends the AWS checks as `error` and completes the rest of the
diagnosis; `mailpath suppression list|stats|export|show` print the error and exit 3
(README: "3 some checks could not run"; suppression's epilog: "3 AWS could not be asked").
Real processes against the seed lab, a real AWS config and model files in tmp_path, and a
real http.server on 127.0.0.1 as the endpoint.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.canary import CANARY_AWS_SECRET, Canaries, assert_no_canary
from tui.commands.lab import lab_env, write_password_file

ROOT = Path(__file__).resolve().parents[2]
EXIT_COULD_NOT_CHECK = 3
PAT = "pat@recipient.example"
#: the checks of the seed plan that call AWS: (check, service) where service is iam or ses
AWS_CHECKS = {"gmail_relay.ses.key_state": "iam", "ses.identity.domain": "ses",
              "ses.account.sending": "ses", "ses.suppression.recipient": "ses"}
SUPPRESSION = {"list": ("ListSuppressedDestinations", ()),
               "stats": ("ListSuppressedDestinations", ()),
               "export": ("ListSuppressedDestinations", ()),
               "show": ("GetSuppressedDestination", (PAT,))}
ACTION = re.compile(r"^(ses|iam):[A-Z][A-Za-z]+ could not be called: ")

#: HTML as a web server's 404 page is written (not well-formed XML: <br>, no closing tags)
HTML_404 = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body>"
            b"<h1>Not Found</h1><p>The requested URL was not found on this server.<br>\n"
            b"<hr><address>Apache Server at 127.0.0.1</address>\n")
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "html404": (404, "text/html; charset=iso-8859-1", HTML_404),
    "json500": (500, "application/json", b'{"__type": "InternalFailure", "message": "ba'),
    "json200": (200, "application/json", b'{"SuppressedDestination": {"EmailAddress": "pa'),
}


class _Answer(http.server.BaseHTTPRequestHandler):
    answer: tuple[int, str, bytes] = ANSWERS["html404"]

    def _reply(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, ctype, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _reply

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def endpoints() -> Iterator[dict[str, str]]:
    """One http.server per kind of answer: name -> its URL."""
    servers = []
    for name, answer in ANSWERS.items():
        handler = type(f"Answer_{name}", (_Answer,), {"answer": answer})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((name, server))
    yield {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers}
    for _, server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AWS config with broken credential_process profiles, and model directories."""
    base = tmp_path_factory.mktemp("aws")
    scripts = {
        # not JSON, and it holds what looks like a secret: never echoed
        "garbage": f"echo 'AccessKeyId=AKIAEXAMPLE SecretAccessKey={CANARY_AWS_SECRET}'",
        "wrongjson": "echo '{\"Version\": 1, \"Token\": \"x\"}'",
        "jsonlist": "echo '[1, 2, 3]'",
    }
    lines = ["[default]", "region = us-east-1",
             # a missing program, with an argument that must not be shown
             "[profile missing]", f"credential_process = {base}/no-such-helper "
                                  f"--secret {CANARY_AWS_SECRET}"]
    for name, body in scripts.items():
        script = base / f"{name}.sh"
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
        lines += [f"[profile {name}]", f"credential_process = {script}"]
    (base / "config").write_text("\n".join(lines) + "\n")
    for name, text in {"empty": "{}", "junk": "not a model {", "nocalls": json.dumps(
            {"metadata": {"serviceId": "SESv2", "protocol": "rest-json", "signingName": "ses",
                          "apiVersion": "2019-09-27", "endpointPrefix": "email",
                          "signatureVersion": "v4"}, "operations": {}, "shapes": {}})}.items():
        model = base / name / "sesv2" / "2019-09-27"
        model.mkdir(parents=True)
        (model / "service-2.json").write_text(text)
    return base


@pytest.fixture(scope="module")
def lab(module_lab_factory: Any) -> Any:
    return module_lab_factory("seed")


@pytest.fixture(scope="module")
def lab_vars(lab: Any) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return ({k: v for k, v in os.environ.items() if k in keep}
            | lab_env(lab, write_password_file(lab)))


#: case -> (how to break AWS, a word of the one-line cause, the services it breaks)
CASES: dict[str, tuple[dict[str, str], str, set[str]]] = {
    "process-missing": ({"AWS_PROFILE": "missing"},
                        r"credential_process of AWS profile 'missing' could not run "
                        r"\(\S*no-such-helper: No such file or directory\)", {"iam", "ses"}),
    "process-garbage": ({"AWS_PROFILE": "garbage"},
                        r"credential_process of AWS profile 'garbage' did not print "
                        r"credentials JSON", {"iam", "ses"}),
    "process-wrong-keys": ({"AWS_PROFILE": "wrongjson"},
                           r"credential_process of AWS profile 'wrongjson' did not print "
                           r"credentials JSON \(Missing required key", {"iam", "ses"}),
    "process-json-list": ({"AWS_PROFILE": "jsonlist"},
                          r"credential_process of AWS profile 'jsonlist' did not print "
                          r"credentials JSON", {"iam", "ses"}),
    "model-empty": ({"AWS_DATA_PATH": "{files}/empty"},
                    r"AWS_DATA_PATH \(\S+/empty\): the sesv2 service model \S+/empty/sesv2/"
                    r"2019-09-27/service-2.json could not be used \(MissingServiceIdError",
                    {"ses"}),
    "model-junk": ({"AWS_DATA_PATH": "{files}/junk"},
                   r"the sesv2 service model \S+/junk/sesv2/2019-09-27/service-2.json could "
                   r"not be loaded: not valid JSON", {"ses"}),
    "model-no-operations": ({"AWS_DATA_PATH": "{files}/nocalls"},
                            r"the sesv2 service model \S+/nocalls/\S+ could not be used \(it "
                            r"has no operation [A-Z]", {"ses"}),
    "endpoint-html-404": ({"AWS_ENDPOINT_URL": "{html404}"},
                          r"the endpoint http://127\.0\.0\.1:\d+ did not answer like AWS "
                          r"\(HTTP 404, text/html\)", {"iam", "ses"}),
    "endpoint-500-bad-json": ({"AWS_ENDPOINT_URL": "{json500}"},
                              r"the endpoint http://127\.0\.0\.1:\d+ did not answer like AWS "
                              r"\(HTTP 500, application/json\)", {"iam", "ses"}),
    "endpoint-200-bad-json": ({"AWS_ENDPOINT_URL": "{json200}"},
                              r"the endpoint http://127\.0\.0\.1:\d+ did not answer like AWS "
                              r"\(HTTP 200, application/json\)", {"iam", "ses"}),
}


def _env(case: str, lab_vars: dict[str, str], files: Path,
         endpoints: dict[str, str]) -> dict[str, str]:
    change, _, _ = CASES[case]
    env = lab_vars | {k: v.format(files=files, **endpoints) for k, v in change.items()}
    if "AWS_PROFILE" in change:  # the profile's credential_process, not the lab's keys
        env = {k: v for k, v in env.items()
               if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        env["AWS_CONFIG_FILE"] = str(files / "config")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(files / "no-credentials")
    return env


def _mailpath(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", main, *args], capture_output=True,
                          text=True, env=env, timeout=90, input="", cwd=ROOT)


@pytest.mark.parametrize("case", list(CASES))
def test_check_json_names_the_cause_and_completes(case: str, lab: Any,
                                                  lab_vars: dict[str, str], files: Path,
                                                  endpoints: dict[str, str]) -> None:
    _, cause, broken = CASES[case]
    proc = _mailpath(_env(case, lab_vars, files, endpoints), "check", "--json")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (1, 3), proc.stderr  # the relay fault may still be found
    payload = json.loads(proc.stdout)
    results = {r["id"]: r for r in payload["results"]}
    errors = {cid for cid, r in results.items() if r["status"] == "error"}
    assert errors == {cid for cid, svc in AWS_CHECKS.items() if svc in broken}, errors
    for cid in errors:
        summary = results[cid]["summary"]
        assert "\n" not in summary and ACTION.match(summary), summary
        assert re.search(cause, summary), summary
        assert "Traceback" not in results[cid]["explanation"]
    # the rest of the diagnosis went on: DNS and the recipient MTA were checked and healthy
    assert {"dns", "recipient_mta"} <= set(payload["diagnosis"]["healthy_layers"])
    assert {c["check"] for c in payload["diagnosis"]["could_not_check"]} == errors
    assert_no_canary(proc.stdout, proc.stderr, canaries=Canaries.of_lab(lab))


@pytest.mark.parametrize("action", list(SUPPRESSION))
@pytest.mark.parametrize("case", list(CASES))
def test_suppression_prints_one_clear_error(case: str, action: str, lab: Any,
                                           lab_vars: dict[str, str], files: Path,
                                           endpoints: dict[str, str]) -> None:
    _, cause, _ = CASES[case]
    operation, args = SUPPRESSION[action]
    proc = _mailpath(_env(case, lab_vars, files, endpoints), "suppression", action, *args)
    assert proc.returncode == EXIT_COULD_NOT_CHECK, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"mailpath: ses:{operation} could not be called: "), first
    assert re.search(cause, first), first
    assert "SUPPRESSED" not in proc.stdout and "@" not in proc.stdout  # no made-up entry
    assert_no_canary(proc.stdout, proc.stderr, canaries=Canaries.of_lab(lab))
