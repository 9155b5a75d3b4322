"""Pure domain: ledger, verdicts, the investigation itself, and what the player is told (the
gettext catalogs of every language, read with Babel).

Nothing here imports `app`, `requests` or `web3`: chain facts come in through the
`chains` adapters that the caller passes, so every decision can be tested without a network.
"""
