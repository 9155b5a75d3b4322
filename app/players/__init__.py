"""What a player sees without logging in: the status link (HTML and JSON) and its words in ru/de/en.

May import `app.runtime`, `investigations` and `chains`; never another surface.
"""
