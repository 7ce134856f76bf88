"""Hostile inputs a tester fed `mailpath bounce` (each through the command and through the
parse functions): a UTF-8 byte-order mark, a directory whose skipped files were not named,
5000-digit numbers, an SNS envelope whose Message is not a string, and random printable
garbage with an @ in it."""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from checks.bounce import detect, parse_bounce, ses_json, source
from checks.bounce.signs import NOT_A_BOUNCE
from tui.cli import main

BOM = b"\xef\xbb\xbf"
RCPT = {"emailAddress": "pat@recipient.example", "action": "failed", "status": "5.1.1",
        "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
NOTE = {"notificationType": "Bounce", "mail": {"messageId": "m-1"},
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                   "reportingMTA": "dsn; a.example", "bouncedRecipients": [RCPT]}}
REPLY = "550 5.1.1 <pat@recipient.example>: Recipient address rejected: User unknown\r\n"
TRANSCRIPT = ("S: 220 mx.recipient.example ESMTP\nC: MAIL FROM:<me@sender.example>\n"
              "S: 250 ok\nC: RCPT TO:<pat@recipient.example>\nS: 550 5.1.1 user unknown\n")
DSN = """\
From: MAILER-DAEMON@mx.sender.example
To: me@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: rfc822; pat@recipient.example
Action: failed
Status: STATUS
Diagnostic-Code: smtp; DIAGNOSTIC

--B--
"""
LONG = "9" * 5000


def _dsn(status: str = "5.1.1", diagnostic: str = "550 5.1.1 user unknown") -> str:
    return DSN.replace("STATUS", status).replace("DIAGNOSTIC", diagnostic)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]],
                                                                  str]:
    """`mailpath bounce --json ARGS` in-process: exit code, JSON lines, stderr."""
    code = main(["bounce", "--json", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def _one(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, object]:
    _code, docs, _err = _run(capsys, str(path))
    assert len(docs) == 1
    return docs[0]


def _without_file(doc: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in doc.items() if k != "file"}


# 1. a UTF-8 byte-order mark


def test_ses_json_with_bom_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.json").write_bytes(json.dumps(NOTE).encode())
    (tmp_path / "bom.json").write_bytes(BOM + json.dumps(NOTE).encode())
    plain, bom = _one(capsys, tmp_path / "plain.json"), _one(capsys, tmp_path / "bom.json")
    assert bom["kind"] == "ses_json" and bom["reason"] == "userunknown"
    assert _without_file(bom) == _without_file(plain)
    # the parse functions: a decoded BOM, and a BOM at the start of an SNS Message string
    assert ses_json.parse("\ufeff" + json.dumps(NOTE), "x").first is not None
    sns = json.dumps({"Type": "Notification", "Message": "\ufeff" + json.dumps(NOTE)})
    assert ses_json.parse(sns, "x").first is not None
    assert parse_bounce(BOM + json.dumps(NOTE).encode()).kind == "ses_json"


@pytest.mark.parametrize("text", [_dsn(), REPLY, TRANSCRIPT], ids=["email", "reply", "transcript"])
def test_bom_does_not_change_what_is_read(text: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.txt").write_bytes(text.encode())
    (tmp_path / "bom.txt").write_bytes(BOM + text.encode())
    plain, bom = _one(capsys, tmp_path / "plain.txt"), _one(capsys, tmp_path / "bom.txt")
    assert plain["reason"] == "userunknown"
    assert _without_file(bom) == _without_file(plain)
    data = source.read_path(str(tmp_path / "bom.txt"))
    assert data == text.encode() and data is not None and not data.truncated


def test_bom_on_stdin(monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BOM + REPLY.encode())))
    code, docs, _err = _run(capsys, "-")
    assert code == 0 and docs[0]["kind"] == "smtp" and docs[0]["reason"] == "userunknown"


def test_bom_alone_is_empty_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bom.txt").write_bytes(BOM)
    assert _one(capsys, tmp_path / "bom.txt")["error"] == "empty input"


# 2. a directory run names what it skipped


def _tree(tmp_path: Path, not_bounces: int) -> Path:
    top = tmp_path / "in"
    (top / "sub").mkdir(parents=True)
    (top / "a-bounce.txt").write_text(REPLY)
    for i in range(not_bounces):
        (top / "sub" / f"note{i}.txt").write_text(f"lunch at {i}?\n")
    (top / "odd, name.bin").write_bytes(bytes(range(32)) * 10)
    (top / ".hidden").write_text(REPLY)
    return top


def test_human_output_names_skipped_files(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    top = _tree(tmp_path, 2)
    assert main(["bounce", str(top)]) == 0
    out = capsys.readouterr().out
    assert (f"skipped 3 files: binary or not a bounce: '{top}/odd, name.bin', "
            f"{top}/sub/note0.txt, {top}/sub/note1.txt\n") in out
    assert f"skipped 1 entry: hidden: {top}/.hidden\n" in out


def test_many_skipped_files_are_named_a_few_then_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = _tree(tmp_path, 9)
    code, docs, err = _run(capsys, str(top))
    assert code == 0 and [d["file"] for d in docs] == [f"{top}/a-bounce.txt"]  # JSON only
    assert (f"mailpath: skipped 10 files: binary or not a bounce: '{top}/odd, name.bin', "
            + ", ".join(f"{top}/sub/note{i}.txt" for i in range(4)) + " and 5 more\n") in err


# 3. 5000-digit numbers


def test_ses_json_with_a_5000_digit_number(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """In a field SES reading does not use: read; in one it does: named as a number."""
    unused = json.dumps(NOTE).replace('"m-1"', LONG)
    status = json.dumps(NOTE).replace('"5.1.1"', LONG)
    kind = json.dumps(NOTE).replace('"Bounce"', LONG)
    for name, text in (("unused", unused), ("status", status), ("kind", kind)):
        (tmp_path / f"{name}.json").write_text(text)
    assert _one(capsys, tmp_path / "unused.json")["reason"] == "userunknown"
    assert _one(capsys, tmp_path / "status.json")["error"] == (
        "bounce.bouncedRecipients[0].status is not a string")
    assert _one(capsys, tmp_path / "kind.json")["error"] == (
        "not a bounce: JSON without an SES notificationType (got a number)")
    assert ses_json.parse(unused, "x").first is not None
    with pytest.raises(ses_json.BadNotification, match="status is not a string"):
        ses_json.parse(status, "x")


@pytest.mark.parametrize("text", [
    LONG + " 5.1.1 user unknown <pat@recipient.example>\n",
    "550 5.1." + LONG + " user unknown <pat@recipient.example>\n",
    TRANSCRIPT.replace("S: 550 5.1.1", "S: " + LONG),
    _dsn(status="5.1." + LONG),
    _dsn(diagnostic=LONG + " 5.1.1 user unknown"),
    _dsn(status="5.0.0", diagnostic="550 5.7." + LONG + " blocked"),
    _dsn(status="5.0.0", diagnostic="550 5.0.0 " + LONG),
], ids=["reply code", "reply status", "transcript code", "dsn status", "dsn reply code",
        "dsn diagnostic status", "dsn diagnostic number"])
def test_5000_digit_codes_get_a_clear_answer(text: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text(text)
    doc = _one(capsys, tmp_path / "x.txt")
    assert "unreadable input" not in str(doc.get("error"))
    assert doc["kind"] != "unknown"
    assert LONG not in str(doc["status"]) + str(doc["replycode"])
    assert "unreadable input" not in str(parse_bounce(text).error)


def test_unicode_digits_are_no_reply_code() -> None:
    """str.isdigit takes "²", which int() refuses: the reply code is ASCII digits only."""
    note = json.loads(json.dumps(NOTE))
    note["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = "smtp; 5²² blocked"
    report = ses_json.parse(json.dumps(note), "x")
    assert report.first is not None and report.first.replycode == ""


# 4. an SNS envelope whose Message is not a string


def test_sns_message_as_object_is_the_notification(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "string.json").write_text(
        json.dumps({"Type": "Notification", "Message": json.dumps(NOTE)}))
    (tmp_path / "object.json").write_text(json.dumps({"Type": "Notification", "Message": NOTE}))
    as_string, as_object = (_one(capsys, tmp_path / "string.json"),
                            _one(capsys, tmp_path / "object.json"))
    assert as_object["kind"] == "ses_json" and as_object["reason"] == "userunknown"
    assert _without_file(as_object) == _without_file(as_string)


@pytest.mark.parametrize(("message", "what"), [
    (5, "is a number"), (LONG, "is a number"), (None, "is null"), (True, "is true/false"),
    ([NOTE], "is a list"), ("[1]", "holds a list"),
], ids=["number", "5000 digits", "null", "bool", "list", "string holding a list"])
def test_sns_message_of_another_type_says_so(message: object, what: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps({"Type": "Notification", "Message": message})
    if message == LONG:
        text = text.replace(f'"{LONG}"', LONG)  # a bare 5000-digit number, not a string
    (tmp_path / "sns.json").write_text(text)
    expected = f"the SNS Message field {what}, not an SES notification"
    doc = _one(capsys, tmp_path / "sns.json")
    assert (doc["kind"], doc["error"]) == ("not_bounce", f"not a bounce: {expected}")
    with pytest.raises(ses_json.NotSesJson) as caught:
        ses_json.parse(text, "x")
    assert str(caught.value) == expected


def test_sns_message_string_that_is_not_json() -> None:
    with pytest.raises(ses_json.NotSesJson, match="^the SNS Message field is not valid JSON"):
        ses_json.parse(json.dumps({"Type": "Notification", "Message": "hello"}), "x")


# 5. random printable garbage with an @ in it


def _garbage(seed: int, size: int, alphabet: str) -> bytes:
    rng = random.Random(seed)
    chunks = ["".join(rng.choices(alphabet, k=997)) + f" x{seed}q@k{seed}z.q{seed} "
              for _ in range(size // 1000 + 1)]
    return "".join(chunks)[:size].encode()


ALPHABETS = {
    "printable": string.printable,
    "one line": string.ascii_letters + string.digits + string.punctuation + " ",
    "alnum": string.ascii_letters + string.digits + " .@-",
}


@pytest.mark.parametrize("name", sorted(ALPHABETS))
@pytest.mark.parametrize("seed", range(12))
def test_garbage_is_not_a_bounce(name: str, seed: int) -> None:
    data = _garbage(seed, 200_000, ALPHABETS[name])
    report = parse_bounce(data)
    assert (report.kind, report.recipients) == ("not_bounce", ())
    # (garbage that opens with "{" or "[" is said to be no valid JSON)
    assert report.error == NOT_A_BOUNCE or report.error.startswith("not a bounce: not valid JSON")


def _read_as_a_bounce_before() -> str:
    """Garbage on one line whose "#532 " looked like a reply code to the sign scan (and its
    random x@y tokens like recipients)."""
    rng = random.Random(36)
    return "".join(rng.choice(ALPHABETS["one line"]) for _ in range(60000))


def test_the_garbage_that_was_read_as_a_bounce() -> None:
    text = _read_as_a_bounce_before()
    assert "#532 " in text[:20000] and "@" in text
    assert not detect.has_bounce_shape(text.encode())
    with pytest.raises(detect.NotBounce):
        detect.kind_of(text.encode())
    assert parse_bounce(text).kind == "not_bounce"


def test_10_mb_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    rest = _garbage(7, 10 * 1024 * 1024, ALPHABETS["one line"])
    path.write_bytes(_read_as_a_bounce_before().encode() + rest)
    run = subprocess.run([sys.executable, "-m", "tui", "bounce", "--json", str(path)],
                         capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    assert (doc["kind"], doc["error"], doc["recipients"]) == ("not_bounce", NOT_A_BOUNCE, [])
    assert "larger than 4 MB" in run.stderr


@pytest.mark.parametrize("text", [
    REPLY, "5.1.1 user unknown: pat@example.org\n",
    "<pat@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 unknown\n",
    "Your message wasn't delivered to pat@example.org because the address couldn't be found\n",
    "Final-Recipient: rfc822; pat@example.org\nStatus: 5.1.1\n",
    "Remote Server returned '#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##'\n",
])
def test_pasted_bounce_text_has_a_bounce_shape(text: str) -> None:
    assert detect.has_bounce_shape(text.encode())
    assert parse_bounce(text).parsed


def test_parse_bounce_itself_drops_a_byte_order_mark() -> None:
    """Not only the file reader: bytes handed to parse_bounce with a BOM read the same."""
    import glob

    from checks.bounce import parse_bounce as parse
    from checks.bounce import to_json as as_json
    line = b"550 5.1.1 <pat@recipient.example>: Recipient address rejected: User unknown"
    assert as_json(parse(b"\xef\xbb\xbf" + line)) == as_json(parse(line))
    corpus = sorted(glob.glob(str(Path(__file__).resolve().parents[3] / "shared" / "corpus"
                                  / "bounces" / "*.eml")))[:40]
    for path in corpus:
        raw = Path(path).read_bytes()
        assert as_json(parse(b"\xef\xbb\xbf" + raw)) == as_json(parse(raw)), path


def test_ses_notification_by_email_with_a_5000_digit_number_is_still_read() -> None:
    from checks.bounce import parse_bounce as parse

    def mail(number: str) -> bytes:
        doc = ('{"notificationType":"Bounce","extra":' + number + ',"bounce":{"bounceType":'
               '"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":'
               '"pat@recipient.example"}]},"mail":{"source":"admin@sender.example",'
               '"destination":["pat@recipient.example"]}}')
        return ("From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n"
                "Content-Type: text/plain\n\n" + doc).encode()

    small, huge = parse(mail("1")).to_json(), parse(mail("9" * 5000)).to_json()
    assert huge["kind"] == small["kind"] == "ses_json"
    assert huge == small
