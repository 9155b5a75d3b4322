"""What a player sees without logging in: the status link (HTML and `/api/status`) and its words
(translated through the catalogs of `investigations`), the Telegram bot (`telegram/`), and the link
codes that tie a player's chat to their account (`/api/telegram-links`).

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
