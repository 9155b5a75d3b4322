"""The support lead: `/dashboard` and `/api/stats` (the SLA figures' SQL and charts, in `sla/`), evidence
files and the evidence key.

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
