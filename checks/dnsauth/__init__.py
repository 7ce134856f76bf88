"""Pure parsers and evaluators for mail authentication records (SPF, DKIM, DMARC, MTA-STS)."""
