"""The players' Discord bot: deposit status through slash commands where the casino's community is.

Part of the players' room, the same conversation as the Telegram bot (`app.players.conversation`).
Discord's HTTP interactions arrive at `routes.py`, verified (`verify.py`) before anything else, and
are acknowledged at once (deferred, ephemeral); `work.py` answers them through a job (`commands.py`
parses the command and asks the conversation), edits the deferred answer through the interaction
webhook (`api.py`), and sends follow-ups while the token lives, or by DM. May import `app.players`,
`app.runtime`, `investigations` and `chains`; never another room.
"""
