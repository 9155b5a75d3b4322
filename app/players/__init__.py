"""What a player sees without logging in: the status link (HTML and JSON) and its words
(translated through the catalogs of `investigations`).

May import `app.runtime`, `investigations` and `chains`; never another surface.
"""
