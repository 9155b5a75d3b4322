"""What a support agent uses in a browser: sign-in and sessions, the lookup form, the verdict card,
the list of recent investigations, the deposit auditor's findings (/audit).

May import `app.runtime`, `investigations` and `chains`; never another surface.
"""
