"""Organisational domains (RFC 7489 3.2) with the Public Suffix List's own test cases
(publicsuffix.org test_psl.txt): None there means the name is itself a public suffix."""

from __future__ import annotations

import pytest

from checks.dnsauth import orgdomain

# A slice of the list's format: plain, wildcard and exception rules, as test_psl.txt assumes.
RULES = orgdomain.parse_rules(
    """
// comment lines are ignored
com
uk.com
ac
*.mm
jp
ac.jp
kyoto.jp
ide.kyoto.jp
*.kobe.jp
!city.kobe.jp
*.ck
!www.ck
us
ak.us
k12.ak.us
cn
com.cn
公司.cn
中国
""".splitlines()
)

PSL_CASES = [
    ("example.com", "example.com"),
    ("b.example.com", "example.com"),
    ("a.b.example.com", "example.com"),
    ("uk.com", None),
    ("example.uk.com", "example.uk.com"),
    ("b.example.uk.com", "example.uk.com"),
    ("test.ac", "test.ac"),
    ("mm", None),
    ("c.mm", None),
    ("b.c.mm", "b.c.mm"),
    ("a.b.c.mm", "b.c.mm"),
    ("jp", None),
    ("test.jp", "test.jp"),
    ("www.test.jp", "test.jp"),
    ("ac.jp", None),
    ("test.ac.jp", "test.ac.jp"),
    ("kyoto.jp", None),
    ("test.kyoto.jp", "test.kyoto.jp"),
    ("ide.kyoto.jp", None),
    ("b.ide.kyoto.jp", "b.ide.kyoto.jp"),
    ("a.b.ide.kyoto.jp", "b.ide.kyoto.jp"),
    ("c.kobe.jp", None),
    ("b.c.kobe.jp", "b.c.kobe.jp"),
    ("a.b.c.kobe.jp", "b.c.kobe.jp"),
    ("city.kobe.jp", "city.kobe.jp"),
    ("www.city.kobe.jp", "city.kobe.jp"),
    ("ck", None),
    ("test.ck", None),
    ("b.test.ck", "b.test.ck"),
    ("a.b.test.ck", "b.test.ck"),
    ("www.ck", "www.ck"),
    ("www.www.ck", "www.ck"),
    ("us", None),
    ("test.us", "test.us"),
    ("www.test.us", "test.us"),
    ("ak.us", None),
    ("test.ak.us", "test.ak.us"),
    ("k12.ak.us", None),
    ("test.k12.ak.us", "test.k12.ak.us"),
    ("www.test.k12.ak.us", "test.k12.ak.us"),
    # "Same as above, but punycoded."
    ("xn--85x722f.com.cn", "xn--85x722f.com.cn"),
    ("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"),
    ("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"),
    ("xn--55qx5d.cn", None),
    ("xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"),
    ("xn--fiqs8s", None),
]


def registrable(rules: orgdomain.SuffixRules, domain: str) -> str | None:
    suffix = rules.public_suffix(domain)
    if suffix == domain:
        return None
    return ".".join(domain.split(".")[-suffix.count(".") - 2 :])


@pytest.mark.parametrize(("domain", "expected"), PSL_CASES)
def test_psl_cases(domain: str, expected: str | None) -> None:
    assert registrable(RULES, domain) == expected


SYSTEM = next((p for p in orgdomain.SYSTEM_LISTS if p.exists()), None)


@pytest.mark.skipif(SYSTEM is None, reason="no system Public Suffix List on this machine")
@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("mail.sender.example.co.uk", "example.co.uk"),
        ("bounce.shop.com.au", "shop.com.au"),
        ("a.b.example.ac.nz", "example.ac.nz"),  # not in the built-in table
        ("mail.sender.example", "sender.example"),
        ("example.com", "example.com"),
    ],
)
def test_org_domain_with_system_list(domain: str, org: str) -> None:
    assert orgdomain.list_source() == str(SYSTEM)
    assert orgdomain.org_domain(domain) == org


def test_builtin_table_covers_the_common_suffixes() -> None:
    import json

    names = json.loads(orgdomain._BUILTIN.read_text(encoding="utf-8"))
    rules = orgdomain.parse_rules(names)
    assert registrable(rules, "mail.example.co.uk") == "example.co.uk"
    assert registrable(rules, "a.example.com.au") == "example.com.au"
    assert registrable(rules, "a.b.example.com") == "example.com"
