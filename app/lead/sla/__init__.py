"""SLA figures for the support lead: the period asked for, the SQL aggregates, charts and CSV.

Used by the agents' `/dashboard` and the API's `/api/stats`; imports investigations and runtime only.
"""
