"""Chain adapters: what does the chain say about a transaction, in one normalized shape.

Nothing here knows about the casino's ledger or about HTTP routes; `investigations`
builds on this package, never the other way round.
"""
