"""The players' Telegram bot: deposit status in the chat the player already uses.

Part of the players' room (it shows what the status link shows, in the same words). Updates come
by webhook (`routes.py`) or long polling (`poller.py`) and are queued as jobs; `work.py` answers them
(`conversation.py` decides what to say), tells linked chats when a verdict changes, and hands a
deposit that needs a person to the helpdesk through a `handover` job. May import `app.players`,
`app.runtime`, `investigations` and `chains`; never another room.
"""
