"""Helpdesks: the signed webhook route, intake (delivery and job in one transaction), the ticket job
(investigate what the ticket names), the note job (write notes idempotently, follow-ups), the notes'
text, and one client per helpdesk under `clients/`.

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
