"""The machinery every room shares and no user sees: database and migrations, durable jobs and workers,
agent accounts and the access checks (bearer tokens, signed-in pages), request limits, metrics, signing
keys, and the shared pieces of the HTML pages. No feature and no HTTP route.

May import `investigations` and `chains`; never a room (agents, players, helpdesks, lead, finance, admin).
"""
