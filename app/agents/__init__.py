"""What a support agent uses: sign-in and sessions, the lookup form, the verdict card, the list of recent
investigations, the no-hash search; and their JSON routes (`/api/investigations`, `/api/searches`).

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
