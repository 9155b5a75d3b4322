"""The machinery every surface shares: database and migrations, durable jobs and workers, agent
accounts, request limits, metrics, ledger files, the deposit auditor's loop and finding views, and the
shared pieces of the HTML pages.

May import `investigations` and `chains`; never a surface (agents, players, helpdesks, api).
"""
