"""Casino finance and the back office: `/audit` and `/audit.csv`, the auditor's findings (`/api/findings`),
the auditor's loop and its views, the ledger's copy (`/api/deposit-addresses`, `/api/deposits`) and the
ledger file import.

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
