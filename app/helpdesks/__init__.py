"""Helpdesk integrations: signed webhooks in, private notes and tags written back."""
