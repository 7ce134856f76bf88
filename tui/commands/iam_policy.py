"""`mailpath iam-policy`: print the least-privilege IAM policy for mailpath (JSON on stdout)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "iam-policy",
        help="print the least-privilege IAM policy mailpath needs",
        description="Print the IAM policy (JSON) that allows exactly the AWS calls of "
        "mailpath's read-only checks and of `suppression list|show|export|stats`. Attach it "
        "to the user or role mailpath runs as.",
    )
    p.add_argument("--with-rotation", action="store_true",
                   help="also allow `creds rotate` (create, deactivate and delete IAM keys)")
    p.add_argument("--with-suppression-write", action="store_true",
                   help="also allow `suppression remove` and `suppression add`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checks.net.aws import iam_policy

    print(iam_policy(rotation=args.with_rotation,
                     suppression_write=args.with_suppression_write))
    return 0
