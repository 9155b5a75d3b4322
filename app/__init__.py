"""The service around the domain: one room per kind of user (each owns its pages and JSON routes), one
package for the machinery.

    main.py, cli/, settings.py, wiring.py   entry points, the one Settings, building objects from it
    agents/      support agents: sign-in, lookup form, verdict card, lists, searches; /api/investigations, /api/searches
    players/     players: the status link (HTML + JSON) and its words, the Telegram bot, link codes
    helpdesks/   webhook intake, ticket and note jobs, one client per helpdesk
    lead/        the support lead: dashboard, /api/stats, SLA figures, evidence files and key
    finance/     casino finance: /audit, findings, ledger upserts and import, the auditor
    runtime/     database and migrations, jobs and workers, accounts, access checks, limits, metrics,
                 signing keys, shared page pieces; no feature, no route

Arrows point one way: entry points → rooms → runtime → investigations → chains. No room imports
another (tests/test_layering.py enforces it).
"""
