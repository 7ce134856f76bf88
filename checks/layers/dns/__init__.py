"""Checks of the DNS layer: SPF, DKIM, DMARC and alignment, MAIL FROM, MTA-STS, TLS-RPT,
propagation and blocklists. SES facts are used when present (`deps.get`), so the layer
also runs alone with no AWS access.

Importing this package registers the checks in the order below (plans follow it), so the
imports are not sorted.
"""

# isort: off
from checks.layers.dns import spf, dkim, dmarc, alignment, mail_from  # noqa: F401
from checks.layers.dns import mta_sts, propagation, blocklist  # noqa: F401
# isort: on
