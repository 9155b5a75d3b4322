"""The JSON API for the casino's back office and integrations: routes, request and response schemas,
the bearer-token dependency.

May import `app.runtime`, `investigations` and `chains`; never another surface.
"""
