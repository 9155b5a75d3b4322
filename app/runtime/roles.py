"""Who may use which route: the ONE place that says it. Every route of the app (JSON API and HTML
pages) is a key of `RULES` (method, path as FastAPI declares it) or falls under a `PREFIXES` entry;
`app.runtime.authorize` applies the rule before the route runs, and tests/app/admin/test_role_walk.py
walks every route with every role and fails on a route that is in neither.

Roles grow one from the other: an `agent` looks up, searches and makes status links; a `lead` also sees
the dashboard, evidence files and every investigation; `finance` also the deposit auditor, findings,
deposit addresses, ledger and payout records; an `admin` everything, with accounts and tokens. The
trail (`/activity`) is for admins and leads. Machine tokens carry scopes, not roles: a route names the
one scope that opens it to a token (none: no token may use it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    FINANCE = "finance"
    ADMIN = "admin"


class Scope(StrEnum):
    LEDGER_WRITE = "ledger:write"
    LINKS_CREATE = "links:create"
    PAYOUTS_WRITE = "payouts:write"
    READ = "read"


EVERYONE = frozenset(Role)
LEADS = frozenset({Role.LEAD, Role.FINANCE, Role.ADMIN})
FINANCE = frozenset({Role.FINANCE, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
TRAIL = frozenset({Role.LEAD, Role.ADMIN})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role] = frozenset()
    scope: Scope | None = None  # the scope that lets a machine token use the route
    public: bool = False  # no sign-in at all (the route checks its own signature or token, if any)

    def who(self) -> str:
        return "anyone" if self.public else ", ".join(role.value for role in Role if role in self.roles)


PUBLIC = Rule(public=True)

RULES: dict[tuple[str, str], Rule] = {
    # machinery and public pages
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # METRICS_ALLOW_IPS / METRICS_TOKEN, checked by the route
    ("GET", "/s/{token}"): PUBLIC,
    ("GET", "/api/status/{token}"): PUBLIC,
    ("POST", "/webhooks/{helpdesk}"): PUBLIC,  # signed by the helpdesk
    ("POST", "/telegram/webhook"): PUBLIC,  # Telegram's secret header
    ("GET", "/.well-known/depositdesk-evidence-key"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/login/oidc"): PUBLIC,
    ("GET", "/login/oidc/callback"): PUBLIC,
    # agents
    ("GET", "/"): Rule(EVERYONE),
    ("POST", "/lookup"): Rule(EVERYONE),
    ("GET", "/investigations"): Rule(EVERYONE),
    ("GET", "/investigations/{investigation_id}"): Rule(EVERYONE),
    ("POST", "/investigations/{investigation_id}/revoke-link"): Rule(EVERYONE),
    ("GET", "/searches/{search_id}"): Rule(EVERYONE),
    ("GET", "/panel"): Rule(EVERYONE),  # the card as a helpdesk side panel (issue 30)
    ("POST", "/api/investigations"): Rule(EVERYONE, Scope.LINKS_CREATE),
    ("GET", "/api/investigations/{investigation_id}"): Rule(EVERYONE, Scope.READ),
    ("POST", "/api/searches"): Rule(EVERYONE, Scope.READ),
    ("GET", "/api/searches/{search_id}"): Rule(EVERYONE, Scope.READ),
    # players: the link a player's chat is joined with is a status link too
    ("POST", "/api/telegram-links"): Rule(EVERYONE, Scope.LINKS_CREATE),
    ("POST", "/api/chat-links"): Rule(EVERYONE, Scope.LINKS_CREATE),
    # lead
    ("GET", "/dashboard"): Rule(LEADS),
    ("GET", "/dashboard/stats.csv"): Rule(LEADS),
    ("GET", "/api/stats"): Rule(LEADS, Scope.READ),
    ("GET", "/investigations/{investigation_id}/evidence.json"): Rule(LEADS, Scope.READ),
    ("GET", "/investigations/{investigation_id}/evidence"): Rule(LEADS),
    # finance
    ("GET", "/audit"): Rule(FINANCE),
    ("GET", "/audit.csv"): Rule(FINANCE),
    ("POST", "/audit/{finding_id}/resolve"): Rule(FINANCE),
    ("POST", "/audit/resolve"): Rule(FINANCE),  # several findings with one reason (issue 30)
    ("GET", "/api/findings"): Rule(FINANCE, Scope.READ),
    ("POST", "/api/findings/{finding_id}/resolve"): Rule(FINANCE),
    ("PUT", "/api/deposit-addresses"): Rule(FINANCE, Scope.LEDGER_WRITE),
    ("PUT", "/api/deposits"): Rule(FINANCE, Scope.LEDGER_WRITE),
    ("PUT", "/api/payouts"): Rule(FINANCE, Scope.PAYOUTS_WRITE),
    ("GET", "/api/payouts"): Rule(FINANCE, Scope.READ),
    # admin: accounts and tokens; the trail for admins and leads
    ("GET", "/admin"): Rule(ADMINS),
    ("GET", "/admin/accounts"): Rule(ADMINS),
    ("POST", "/admin/accounts"): Rule(ADMINS),
    ("POST", "/admin/accounts/{agent_id}/role"): Rule(ADMINS),
    ("POST", "/admin/accounts/{agent_id}/revoke"): Rule(ADMINS),
    ("GET", "/admin/tokens"): Rule(ADMINS),
    ("GET", "/admin/settings"): Rule(ADMINS),
    ("POST", "/admin/tokens"): Rule(ADMINS),
    ("POST", "/admin/tokens/{token_id}/rotate"): Rule(ADMINS),
    ("POST", "/admin/tokens/{token_id}/revoke"): Rule(ADMINS),
    ("GET", "/activity"): Rule(TRAIL),
    ("GET", "/activity.csv"): Rule(TRAIL),
    ("GET", "/api/activity"): Rule(TRAIL, Scope.READ),
}

# Whole families whose routes come with other work: each route of theirs gets the family's rule
# until it is named above. Longest prefix first.
PREFIXES: tuple[tuple[str, str, Rule], ...] = (
    ("PUT", "/api/payouts", Rule(FINANCE, Scope.PAYOUTS_WRITE)),
    ("GET", "/api/payouts", Rule(FINANCE, Scope.READ)),
    ("GET", "/payouts", Rule(FINANCE)),
    ("POST", "/payouts", Rule(FINANCE)),
    ("POST", "/discord/", PUBLIC),  # Ed25519-signed by Discord
)
# A route nobody named: admins only (never open by accident); the role walk fails naming it.
UNDECLARED = Rule(ADMINS)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))


# Literal paths before those with parameters (`/audit.csv` is not `/audit/{finding_id}`).
_MATCHERS = sorted(((m, p, _pattern(p), r) for (m, p), r in RULES.items()), key=lambda item: item[1].count("{"))


def match(method: str, url_path: str) -> tuple[str, Rule, bool]:
    """The rule of a request's path (as the browser sent it): (the declared path, its rule, declared?)."""
    method = "GET" if method == "HEAD" else method
    for rule_method, path, pattern, rule in _MATCHERS:
        if rule_method == method and pattern.fullmatch(url_path):
            return path, rule, True
    rule, declared = rule_for(method, url_path)
    return url_path, rule, declared


def rule_for(method: str, path: str) -> tuple[Rule, bool]:
    """The route's rule, and whether it is declared (in RULES or under a PREFIXES family)."""
    method = "GET" if method == "HEAD" else method
    rule = RULES.get((method, path))
    if rule is not None:
        return rule, True
    for family_method, prefix, family_rule in PREFIXES:
        if method == family_method and path.startswith(prefix):
            return family_rule, True
    return UNDECLARED, False
