"""The service around the domain: one package per surface a person uses, one for the machinery.

    main.py, cli.py, settings.py, wiring.py   entry points, the one Settings, building objects from it
    agents/      the agent's pages: sign-in, lookup form, verdict card, lists
    players/     the player's status link and its words
    helpdesks/   webhook intake, ticket and note jobs, one client per helpdesk
    api/         JSON routes, schemas, bearer tokens
    runtime/     database and migrations, jobs and workers, accounts, limits, metrics, shared page pieces

Arrows point one way: entry points → surfaces → runtime → investigations → chains. No surface
imports another (tests/test_layering.py enforces it).
"""
