"""EVM networks as configuration: Ethereum and the networks named in ``EVM_NETWORKS``.

Each network has its own providers, expected chain id, native asset, finality rule, tokens and
explorer. Settings, per network ``<NET>`` (upper case of the name)::

    EVM_NETWORKS=bsc,polygon,arbitrum,base,optimism   # the networks beside Ethereum
    <NET>_PROVIDERS=https://a,https://b                # ordered JSON-RPC URLs
    <NET>_TOKENS=USDT=0x55d3…:18,USDC=0x8ac7…:18       # replaces same-symbol defaults, adds the rest
    <NET>_CONFIRMATIONS=15
    <NET>_FINALITY=confirmations|safe|finalized
    <NET>_CHAIN_ID=56                                  # overrides the expected chain id

Ethereum is always ``eth`` and reads the same ``ETH_*`` names it always has. The older shorthand
``EVM_NETWORKS=bsc=https://…,polygon=https://…`` still works: it names the network and gives its
first provider. Before a provider's first answer is used, ``check_network`` asks it for
``eth_chainId`` and each configured token for ``decimals()``: a wrong URL or a wrong decimals count
is a :class:`NetworkCheckError` naming the setting, never a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from chains import references
from chains.assets import Asset
from chains.base import Chain, ProviderBadResponse, ProviderUnavailable

Finality = Literal["confirmations", "safe", "finalized"]
FINALITY_RULES: tuple[str, ...] = ("confirmations", "safe", "finalized")
_NAME = re.compile(r"[a-z][a-z0-9]{1,19}")
_CONTRACT = re.compile(r"0x[0-9a-fA-F]{40}")
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9.]{0,15}")
DECIMALS_SELECTOR = "0x313ce567"  # decimals()


class NetworkConfigError(ValueError):
    """A network setting that cannot work; the message names the variable and why."""


class NetworkCheckError(RuntimeError):
    """A provider or token that does not match its network (checked against the node itself)."""


@dataclass(frozen=True)
class Token:
    symbol: str
    contract: str  # lower case
    decimals: int


@dataclass(frozen=True)
class EvmNetwork:
    name: str
    label: str  # for people: "BSC", "Base"
    chain_id: int
    native: str
    native_decimals: int
    providers: tuple[str, ...]
    tokens: tuple[Token, ...]
    confirmations: int
    finality: Finality
    explorer: str  # base URL, no trailing slash

    def token(self, contract: str) -> Token | None:
        contract = contract.lower()
        return next((t for t in self.tokens if t.contract == contract), None)

    def token_by_symbol(self, symbol: str) -> Token | None:
        return next((t for t in self.tokens if t.symbol == symbol), None)

    def tx_url(self, tx_hash: str) -> str:
        return f"{self.explorer}/tx/{tx_hash}"

    def address_url(self, address: str) -> str:
        return f"{self.explorer}/address/{address}"

    def token_url(self, contract: str, holder: str | None = None) -> str:
        base = f"{self.explorer}/token/{contract}"
        return f"{base}?a={holder}" if holder else base

    def finality_rule(self) -> str:
        """Which rule makes a transaction final here, in words a verdict can quote."""
        if self.finality == "confirmations":
            return f"{self.confirmations} confirmations on {self.label}"
        return f"the {self.finality!r} block tag of {self.label} (its batch is {self.finality} on Ethereum)"


@dataclass(frozen=True)
class _Builtin:
    label: str
    chain_id: int
    native: str
    explorer: str
    confirmations: int
    finality: Finality
    tokens: tuple[Token, ...]
    providers: tuple[str, ...] = field(default=())


def _t(symbol: str, contract: str, decimals: int) -> Token:
    return Token(symbol, contract.lower(), decimals)


# Known networks. Token contracts are the issuers' own deployments with their real decimals:
# USDT and USDC on BSC are 18-decimal BEP-20 tokens, everywhere else 6. The public RPC URLs are
# only used when a network is named in EVM_NETWORKS without <NET>_PROVIDERS ("nothing needs
# editing to start"); production deployments configure their own.
BUILTIN: dict[str, _Builtin] = {
    "eth": _Builtin(
        "Ethereum",
        1,
        "ETH",
        "https://etherscan.io",
        12,
        "confirmations",
        (
            _t("USDT", "0xdAC17F958D2ee523a2206206994597C13D831ec7", 6),
            _t("USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
        ),
        ("https://ethereum-rpc.publicnode.com", "https://eth.llamarpc.com"),
    ),
    "bsc": _Builtin(
        "BSC",
        56,
        "BNB",
        "https://bscscan.com",
        15,
        "confirmations",
        (
            _t("USDT", "0x55d398326f99059fF775485246999027B3197955", 18),
            _t("USDC", "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", 18),
        ),
        ("https://bsc-rpc.publicnode.com",),
    ),
    "polygon": _Builtin(
        "Polygon",
        137,
        "POL",
        "https://polygonscan.com",
        128,
        "confirmations",
        (
            _t("USDT", "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", 6),
            _t("USDC", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", 6),
        ),
        ("https://polygon-bor-rpc.publicnode.com",),
    ),
    "arbitrum": _Builtin(
        "Arbitrum",
        42161,
        "ETH",
        "https://arbiscan.io",
        1,
        "finalized",
        (
            _t("USDT", "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9", 6),
            _t("USDC", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", 6),
        ),
        ("https://arbitrum-one-rpc.publicnode.com",),
    ),
    "base": _Builtin(
        "Base",
        8453,
        "ETH",
        "https://basescan.org",
        1,
        "finalized",
        (
            _t("USDT", "0xfde4C96c8593536E31F229EA8f37b2ADa2699bb2", 6),
            _t("USDC", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", 6),
        ),
        ("https://base-rpc.publicnode.com",),
    ),
    "optimism": _Builtin(
        "Optimism",
        10,
        "ETH",
        "https://optimistic.etherscan.io",
        1,
        "finalized",
        (
            _t("USDT", "0x94b008aA00579c1307B0EF2c499aD98a8ce58e58", 6),
            _t("USDC", "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85", 6),
        ),
        ("https://optimism-rpc.publicnode.com",),
    ),
}
_OTHER_NATIVE = {"avalanche": "AVAX", "fantom": "FTM", "gnosis": "XDAI"}  # shorthand-only networks
_ALIASES = {"ethereum": "eth", "bnb": "bsc", "matic": "polygon", "arb": "arbitrum", "op": "optimism"}


# The EVM networks a casino can issue deposit addresses for: each is a Chain of its own (ledger rows,
# addresses, investigations say "chain": "bsc"). Other networks of the shorthand (avalanche…) are only
# asked for wrong_network.
EVM_CHAINS: tuple[Chain, ...] = references.EVM_CHAINS
BLOCK_SECONDS: dict[Chain, int] = {
    Chain.ETH: 12,
    Chain.BSC: 3,
    Chain.POLYGON: 2,
    Chain.ARBITRUM: 1,
    Chain.BASE: 2,
    Chain.OPTIMISM: 2,
}


def is_evm(chain: Chain) -> bool:
    return chain in EVM_CHAINS


def chain_of(network: str) -> Chain | None:
    """The Chain a network name stands for, or None (a shorthand-only network such as avalanche)."""
    return next((c for c in EVM_CHAINS if c.value == network), None)


def network_assets(networks: Mapping[str, EvmNetwork]) -> list[Asset]:
    """Native coin and tokens of every configured network beside Ethereum, as assets of its Chain."""
    assets = []
    for network in networks.values():
        chain = chain_of(network.name)
        if chain is None or chain is Chain.ETH:
            continue
        assets.append(Asset(network.native, chain, network.native_decimals))
        assets += [Asset(t.symbol, chain, t.decimals, t.contract) for t in network.tokens]
    return assets


def safe_url(url: str) -> str:
    """scheme://host of a provider URL: paths and queries often carry API keys."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def _http_url(url: str, variable: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NetworkConfigError(f"{variable}: {safe_url(url)!r} is not an http(s) JSON-RPC URL")
    return url


def _canonical(name: str, variable: str) -> str:
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if not _NAME.fullmatch(name):
        raise NetworkConfigError(f"{variable}: {name!r} is not a network name (letters and digits, e.g. bsc)")
    return name


def parse_tokens(value: str, variable: str) -> tuple[Token, ...]:
    tokens = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        symbol, sep, rest = item.partition("=")
        contract, sep2, decimals = rest.strip().rpartition(":")
        symbol = symbol.strip().upper()
        if not (sep and sep2 and _SYMBOL.fullmatch(symbol) and _CONTRACT.fullmatch(contract.strip())):
            raise NetworkConfigError(f"{variable}: {item!r} is not SYMBOL=0xCONTRACT:DECIMALS")
        if not decimals.strip().isdigit() or not 0 <= int(decimals) <= 36:
            raise NetworkConfigError(f"{variable}: decimals of {symbol} must be a whole number 0..36")
        tokens.append(Token(symbol, contract.strip().lower(), int(decimals)))
    return tuple(tokens)


def _int(env: Mapping[str, str], variable: str, low: int, high: int) -> int | None:
    raw = env.get(variable)
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise NetworkConfigError(f"{variable}: {raw!r} must be a whole number {low}..{high}")
    return int(raw)


def networks_from_env(environ: Mapping[str, str]) -> dict[str, EvmNetwork]:
    """Every configured EVM network by name, Ethereum (``eth``) first; names are read case-insensitively."""
    env = {key.upper(): value for key, value in environ.items()}
    shorthand: dict[str, str] = {}
    names = ["eth"]
    for item in filter(None, (part.strip() for part in env.get("EVM_NETWORKS", "").split(","))):
        name, sep, url = item.partition("=")
        name = _canonical(name, "EVM_NETWORKS")
        if name == "eth":
            raise NetworkConfigError("EVM_NETWORKS: Ethereum is always on; it is configured by ETH_PROVIDERS")
        if sep:
            shorthand[name] = _http_url(url.strip(), f"EVM_NETWORKS ({name})")
        if name not in names:
            names.append(name)
    return {name: _network(name, env, shorthand.get(name)) for name in names}


def _network(name: str, env: Mapping[str, str], shorthand: str | None) -> EvmNetwork:
    prefix = name.upper()
    known = BUILTIN.get(name)
    chain_id = _int(env, f"{prefix}_CHAIN_ID", 1, 2**53)
    if known is None and chain_id is None and shorthand is not None:
        chain_id = 0  # the older NAME=URL shorthand for a network depositdesk does not know: not checked
    if known is None and chain_id is None:
        raise NetworkConfigError(f"{prefix}_CHAIN_ID: {name!r} is not a network depositdesk knows; give its chain id")
    variable = f"{prefix}_PROVIDERS"
    if env.get(variable, "").strip():
        providers = tuple(_http_url(u.strip(), variable) for u in env[variable].split(",") if u.strip())
    elif shorthand is not None:
        providers = (shorthand,)
    else:
        providers = known.providers if known else ()
    if not providers:
        raise NetworkConfigError(f"{variable}: {name} needs at least one JSON-RPC URL")
    if shorthand is not None and shorthand not in providers:
        providers = (*providers, shorthand)
    tokens = {t.symbol: t for t in (known.tokens if known else ())}
    tokens.update({t.symbol: t for t in parse_tokens(env.get(f"{prefix}_TOKENS", ""), f"{prefix}_TOKENS")})
    finality = (env.get(f"{prefix}_FINALITY") or (known.finality if known else "confirmations")).strip().lower()
    if finality not in FINALITY_RULES:
        raise NetworkConfigError(f"{prefix}_FINALITY: {finality!r} is not one of {', '.join(FINALITY_RULES)}")
    confirmations = _int(env, f"{prefix}_CONFIRMATIONS", 1, 10_000)
    return EvmNetwork(
        name=name,
        label=known.label if known else name.capitalize(),
        chain_id=chain_id if chain_id is not None else known.chain_id,  # type: ignore[union-attr]
        native=known.native
        if known
        else (env.get(f"{prefix}_NATIVE") or _OTHER_NATIVE.get(name, "ETH")).strip().upper(),
        native_decimals=18,
        providers=providers,
        tokens=tuple(tokens.values()),
        confirmations=confirmations if confirmations is not None else (known.confirmations if known else 12),
        finality=finality,  # type: ignore[arg-type]
        explorer=(known.explorer if known else env.get(f"{prefix}_EXPLORER", "").rstrip("/")),
    )


# ---- checks against the node itself -------------------------------------------------------------

Call = Callable[[str, str, list[Any]], Any]  # (url, method, params) -> result


def http_call(timeout: float = 10.0) -> Call:
    def call(url: str, method: str, params: list[Any]) -> Any:
        try:
            answer = requests.post(
                url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=timeout
            ).json()
        except (requests.RequestException, ValueError) as exc:
            raise NetworkCheckError(f"{safe_url(url)} did not answer {method}: {type(exc).__name__}") from None
        if not isinstance(answer, dict) or "result" not in answer:
            raise NetworkCheckError(f"{safe_url(url)} refused {method}")
        return answer["result"]

    return call


def check_chain_id(network: EvmNetwork, url: str, call: Call) -> None:
    """The provider at ``url`` serves this network, or NetworkCheckError naming both chain ids
    (chain id 0: a shorthand network of unknown id, not checked)."""
    if network.chain_id == 0:
        return
    raw = call(url, "eth_chainId", [])
    try:
        got = int(raw, 16)
    except (TypeError, ValueError):
        raise NetworkCheckError(f"{network.name.upper()}_PROVIDERS: {safe_url(url)} gave no chain id") from None
    if got != network.chain_id:
        theirs = next((n.label for n in BUILTIN.values() if n.chain_id == got), f"chain {got}")
        raise NetworkCheckError(
            f"{network.name.upper()}_PROVIDERS: {safe_url(url)} serves chain id {got} ({theirs}), "
            f"not {network.label}'s {network.chain_id}; fix the URL or set {network.name.upper()}_CHAIN_ID"
        )


def read_decimals(url: str, contract: str, call: Call) -> int:
    raw = call(url, "eth_call", [{"to": contract, "data": DECIMALS_SELECTOR}, "latest"])
    if not isinstance(raw, str) or len(raw) < 3:
        raise NetworkCheckError(f"{safe_url(url)}: {contract} has no decimals() (not an ERC-20 contract here?)")
    return int(raw, 16)


def check_tokens(network: EvmNetwork, url: str, call: Call) -> None:
    """Every configured token's decimals() equals the configured decimals."""
    for token in network.tokens:
        try:
            got = read_decimals(url, token.contract, call)
        except NetworkCheckError as exc:
            raise NetworkCheckError(f"{network.name.upper()}_TOKENS: {token.symbol}: {exc}") from None
        if got != token.decimals:
            raise NetworkCheckError(
                f"{network.name.upper()}_TOKENS: {token.symbol} at {token.contract} has {got} decimals on "
                f"{network.label}, configured {token.decimals}; amounts would be 10^{abs(got - token.decimals)}x wrong"
            )


def check_network(network: EvmNetwork, call: Call | None = None, *, tokens: bool = True) -> EvmNetwork:
    """Checks every provider's chain id (and, against the first, the tokens' decimals)."""
    call = call or http_call()
    for url in network.providers:
        check_chain_id(network, url, call)
    if tokens:
        check_tokens(network, network.providers[0], call)
    return network


def with_providers(network: EvmNetwork, providers: list[str]) -> EvmNetwork:
    return replace(network, providers=tuple(providers))


def locate(tx_hash: str, networks: Mapping[str, EvmNetwork], call: Call | None = None) -> dict[str, Any]:
    """{network: transaction} for every network whose node knows ``tx_hash``: a hash with no network
    given is asked on every configured network at once (one round trip; one question each, to the
    network's first provider). A network that cannot answer is left out; the caller's pools retry."""
    call = call or http_call()

    def ask(network: EvmNetwork) -> Any:
        try:
            return call(network.providers[0], "eth_getTransactionByHash", [tx_hash])
        except NetworkCheckError:
            return None

    with ThreadPoolExecutor(max_workers=max(1, len(networks))) as pool:
        answers = dict(zip(networks, pool.map(ask, networks.values()), strict=True))
    return {name: tx for name, tx in answers.items() if isinstance(tx, dict)}


# ---- the wrong-network decision -----------------------------------------------------------------


@dataclass(frozen=True)
class WrongNetwork:
    issued: str  # network the deposit address was issued for
    found: str  # network the payment was made on
    summary: str
    action: str


def wrong_network(
    issued: str, found: str, networks: Mapping[str, EvmNetwork], *, amounts: str = ""
) -> WrongNetwork | None:
    """The one place that decides wrong_network between EVM networks: a payment found on ``found``
    to an address issued for ``issued``. None when they are the same network (then it is an
    ordinary deposit). The same key controls an EVM address on every EVM network, so finance can
    recover the funds; the action says so."""
    if issued == found:
        return None
    label_issued = networks[issued].label if issued in networks else issued
    label_found = networks[found].label if found in networks else found
    paid = f": {amounts}" if amounts else ""
    return WrongNetwork(
        issued,
        found,
        f"Sent on {label_found}, but the address was issued for {label_issued}{paid}.",
        f"Recoverable by treasury: the casino holds the key of this address on {label_found} too "
        f"(the same key controls it on every EVM network). Escalate to treasury to recover the funds "
        f"on {label_found} and credit under the casino's policy; do not credit from {label_issued}.",
    )


# ---- chain id checked before a provider's first answer is used ----------------------------------


class ChainIdChecked:
    """Wraps one provider's adapter: before its first answer is used, its ``eth_chainId`` must be
    the network's. A wrong URL becomes a ProviderBadResponse naming both chain ids (the pool moves
    on to the next provider and the evidence says why), never a verdict from the wrong chain."""

    def __init__(self, inner: Any, network: EvmNetwork, url: str, call: Call | None = None) -> None:
        self._inner = inner
        self._network = network
        self._url = url
        self._call = call or http_call()
        self._error: str | None = None
        self._checked = False

    def _ensure(self) -> None:
        if not self._checked:
            try:
                check_chain_id(self._network, self._url, self._call)
                self._checked = True
            except NetworkCheckError as exc:
                if "serves chain id" not in str(exc):
                    raise ProviderUnavailable(str(exc), provider=self._inner.name) from None
                self._error = str(exc)
                self._checked = True
        if self._error is not None:
            raise ProviderBadResponse(self._error, provider=self._inner.name)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def checked(*args: Any, **kwargs: Any) -> Any:
            self._ensure()
            return attr(*args, **kwargs)

        return checked
