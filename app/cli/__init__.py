"""`depositdesk`: the command line. The service's own commands are in `service.py`; each group of
commands has a module of its own (agents, ledger, search, audit, bot, discord, evidence, networks, dashboard)."""

from __future__ import annotations

from app.cli.activity import activity
from app.cli.agents import agents
from app.cli.audit import audit
from app.cli.bot import bot
from app.cli.dashboard import dashboard
from app.cli.discord import discord
from app.cli.evidence import evidence
from app.cli.ledger import ledger
from app.cli.networks import networks_command
from app.cli.search import search_command
from app.cli.service import main
from app.cli.tokens import tokens

for command in (agents, ledger, search_command, audit, bot, discord, evidence, networks_command):
    main.add_command(command)
main.add_command(tokens)  # issue 28: machine tokens
main.add_command(activity)  # issue 28: the trail
main.add_command(dashboard)  # issue 22: the SLA rollups

__all__ = ["main"]
