"""The JSON API for the casino's back office and integrations: routes (investigations, ledger, the auditor's
findings), request and response schemas, the bearer-token dependency.

May import `app.runtime`, `investigations` and `chains`; never another surface.
"""
