"""The deposit auditor: follow each chain block by block, match every payment to a casino deposit
address, and raise a finding for each confirmed one the ledger has not credited.

models (tables) · cursors (where each chain's follower is, and its lease) · matching (a block's
transfers against the deposit addresses) · follower (blocks, reorgs) · findings (the rules: what
becomes a finding, what resolves or withdraws it) · reconcile (payments through the Investigator).
No HTTP here: blocks come from a `chains.blocks` source.
"""
