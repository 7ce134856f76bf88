"""Tester's findings on scenario files: hostile inputs are refused at load, quickly and naming
the line (a $GENERATE of 50 million names hung the lab at 620 MB), and validation messages
show the user's value as written, with its TOML type in words, never a Python repr."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checks.lab.scenario import (
    MAX_SCENARIO_BYTES,
    MAX_ZONE_RECORDS,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

BASE = '''region = "us-east-1"
[input]
from = "a@b.example"
to = ["c@d.example"]
path = "ses_api"
[expected]
exit_code = 1
'''


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="x.toml")
    return str(info.value)


def zone(body: str, section: str = "zones") -> str:
    return f'{BASE}[{section}]\n"b.example" = """\n$TTL 300\n@ SOA ns. h. 1 2 3 4 5\n{body}\n"""\n'


def test_huge_generate_is_refused_at_once_naming_the_line() -> None:
    began = time.monotonic()
    message = error_of(zone("@ NS ns.\n$GENERATE 1-50000000 host$ A 192.0.2.1"))
    assert time.monotonic() - began < 2
    assert message == (
        "x.toml: zones.b.example: line 4: $GENERATE 1-50000000 makes 50,000,000 records; "
        f"a scenario's zones hold at most {MAX_ZONE_RECORDS:,} records in all")


def test_generate_with_a_step_counts_what_it_makes() -> None:
    scenario = parse_scenario(zone("$GENERATE 1-50000000/100000 host$ A 192.0.2.1"))
    assert "b.example" in scenario.zones


def test_small_generate_still_works() -> None:
    scenario = parse_scenario(zone("$GENERATE 1-20 host$ A 192.0.2.$"))
    assert "$GENERATE" in scenario.zones["b.example"]


def test_records_of_all_zones_share_one_bound() -> None:
    half = f"$GENERATE 1-{MAX_ZONE_RECORDS // 2 + 10} host$ A 192.0.2.1"
    text = zone(half) + zone(half, "resolver_zones").removeprefix(BASE)
    assert "resolver_zones.b.example: line 3: $GENERATE" in error_of(text)


def test_many_plain_records_are_refused_naming_the_line() -> None:
    body = "\n".join(f"h{i} A 192.0.2.1" for i in range(MAX_ZONE_RECORDS + 5))
    message = error_of(zone(body))
    assert f"line {MAX_ZONE_RECORDS + 1}: the zones have too many records" in message


def test_include_is_still_not_allowed() -> None:
    assert "'$INCLUDE' is not allowed" in error_of(zone("$INCLUDE /etc/passwd"))


@pytest.mark.parametrize(("table", "count", "expected"), [
    ('[[mta]]\nhost = "x.example"\n', 101, "mta: 101 entries; a scenario may have at most 100"),
    ('[[iam.users]]\nname = "u"\n', 101, "iam.users: 101 entries; a scenario may have at most"),
    ('[[ses.identities]]\nidentity = "b.example"\n', 1001,
     "ses.identities: 1,001 entries; a scenario may have at most 1,000"),
])
def test_counts_of_things_the_lab_builds_are_bounded(table: str, count: int,
                                                     expected: str) -> None:
    assert expected in error_of(BASE + table * count)


def test_certificate_names_are_bounded() -> None:
    names = ", ".join(f'"h{i}.example"' for i in range(21))
    message = error_of(BASE + f'[[mta]]\nhost = "x.example"\ncertificate_names = [{names}]\n')
    assert "certificate_names: 21 names; a certificate here has at most 20" in message


def test_a_file_too_large_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text(BASE + "#" * (MAX_SCENARIO_BYTES + 10) + "\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    assert f"larger than {MAX_SCENARIO_BYTES:,} bytes" in str(info.value)


@pytest.mark.parametrize(("line", "expected"), [
    ("date = 1979-05-27", "date: expected a date from 1990 to 2200, got a date, 1979-05-27"),
    ("name = 1979-05-27", "name: expected a string, got a date, 1979-05-27"),
    ("name = 1979-05-27T07:32:00", "got a local date-time, 1979-05-27T07:32:00"),
    ("name = 1979-05-27T07:32:00Z", "got a date-time, 1979-05-27T07:32:00Z"),
    ("name = 07:32:00", "name: expected a string, got a time, 07:32:00"),
    ("name = true", "name: expected a string, got a boolean, true"),
    ("name = 1e400", "name: expected a string, got a number, inf"),
    ("name = 12", "name: expected a string, got an integer, 12"),
    ("name = [1, 2]", "name: expected a string, got an array of 2 items"),
    ("name = { a = 1 }", "name: expected a string, got a table ('a')"),
    ('delay = "x\\u0007y"', 'delay: expected a number, got a string, "x\\u0007y"'),
    ("delay = 'soon'", "delay: expected a number, got a string, 'soon'"),
])
def test_values_are_shown_as_written_with_their_toml_type(line: str, expected: str) -> None:
    message = error_of(f"{line}\n{BASE}")
    assert expected in message
    for python in ("datetime.", "tzinfo", "[1, 2]", "{'a'", "True"):
        assert python not in message


def test_strings_with_quotes_or_control_characters_are_toml_strings() -> None:
    message = error_of(BASE.replace('path = "ses_api"', "path = \"it's\\tme\""))
    assert "input.path: \"it's\\tme\" is not one of gmail_send_as" in message
