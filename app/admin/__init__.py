"""What an admin uses: accounts and their roles, machine tokens (scopes, expiry, rotation,
revocation), and the activity trail (`/activity`, `/api/activity`, which leads see too).

May import `app.runtime`, `investigations` and `chains`; never another room.
"""
