"""A tiny registry of fake checks shaped like the seed story, so TUI tests need no lab.

These are stand-ins for the engine's layers (built by others); the runner, the diagnosis
and the report they go through are the real ones.
"""

from __future__ import annotations

import asyncio

from checks.context import Context, Inputs
from checks.model import Evidence, Fix, Layer, Outcome, failed, passed, warned
from checks.registry import Deps, Registry, check

AUTH_TRANSCRIPT = """\
220 email-smtp.us-east-1.amazonaws.com ESMTP SimpleEmailService
C: EHLO gmail-relay.example
250-email-smtp.amazonaws.com
250 AUTH PLAIN LOGIN
C: AUTH PLAIN [REDACTED]
535 Authentication Credentials Invalid"""


def seed_like_registry(gate: asyncio.Event | None = None) -> Registry:
    """Two faults (relay auth, suppressed recipient) on two layers; SES and DNS healthy.

    With a `gate`, the recipient MTA check waits for it, so a test can look mid-run.
    """
    reg = Registry()

    def simple(cid: str, layer: Layer, title: str, outcome: Outcome, needs: tuple[str, ...] = ()):
        async def fn(ctx: Context, deps: Deps) -> Outcome:
            if gate is not None and layer is Layer.RECIPIENT_MTA:
                await gate.wait()
            return outcome

        check(cid, layer, title, needs=needs, registry=reg)(fn)

    simple("gmail_relay.smtp.connect", Layer.GMAIL_RELAY, "Relay answers on port 587",
           passed("Connected to email-smtp.us-east-1.amazonaws.com:587"))
    simple("gmail_relay.smtp.auth", Layer.GMAIL_RELAY, "Relay accepts the stored credentials",
           failed("The relay refused the stored credentials (535)",
                  "Gmail signs in to SES SMTP with the username and password stored in "
                  "**Send mail as**. SES answered `535 Authentication Credentials Invalid`.",
                  evidence=(Evidence("SMTP transcript", AUTH_TRANSCRIPT, "smtp"),),
                  fix=Fix("Rotate the SES SMTP credentials and enter them in Gmail",
                          ("Create a new access key for the IAM user",
                           "Derive the SMTP password for us-east-1",
                           "Enter it in Gmail: Settings → Accounts → Send mail as → Edit info"),
                          action="rotate_credentials")),
           needs=("gmail_relay.smtp.connect",))
    simple("gmail_relay.ses.key_state", Layer.GMAIL_RELAY, "Access key behind the username",
           failed("Access key AKIAEXAMPLE is Inactive",
                  explains=("gmail_relay.smtp.auth",)) if False else
           failed("Access key AKIAEXAMPLE is Inactive", "The key was deactivated.",
                  explains=("gmail_relay.smtp.auth",),
                  fix=Fix("Rotate the credentials", ("Create a new key",),
                          action="rotate_credentials")))
    simple("ses.identity.domain", Layer.SES, "Domain identity verified",
           passed("sender.example is verified in us-east-1"))
    simple("ses.suppression.recipient", Layer.SES, "Recipient not on the suppression list",
           failed("bob@recipient.example is suppressed (COMPLAINT)",
                  "SES will not deliver to an address on the account suppression list.",
                  evidence=(Evidence("GetSuppressedDestination",
                                     '{"Reason": "COMPLAINT", "EmailAddress": '
                                     '"bob@recipient.example"}', "api"),),
                  fix=Fix("Leave it suppressed, or remove it deliberately",
                          ("Ask the recipient whether they want your mail",),
                          action="remove_suppression",
                          action_args={"email": "bob@recipient.example"})))
    simple("dns.spf.authorises_ses", Layer.DNS, "SPF authorises SES",
           passed("SPF includes amazonses.com",
                  evidence=(Evidence("TXT mail.sender.example",
                                     'mail.sender.example. 300 IN TXT "v=spf1 '
                                     'include:amazonses.com ~all"', "dns"),)))
    simple("dns.dmarc.record", Layer.DNS, "DMARC record present",
           warned("DMARC policy is p=none", "Receivers are asked to do nothing on failure.",
                  fix=Fix("Publish a stricter policy when reports look clean",
                          ("Move to p=quarantine",), action="copy_record",
                          action_args={"record": '_dmarc.sender.example TXT "v=DMARC1; '
                                       'p=quarantine"'})))
    simple("recipient.mx.provider", Layer.RECIPIENT_MTA, "Who hosts the recipient domain",
           passed("recipient.example is hosted by Exchange Online"))
    return reg


def seed_like_context(path: str | None = "gmail_send_as") -> Context:
    return Context(inputs=Inputs(sender="admin@sender.example",
                                 recipients=("bob@recipient.example",), path=path))  # type: ignore[arg-type]
