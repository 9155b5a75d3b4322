"""Transaction hashes and wallet addresses picked out of free text: a pasted hash, an explorer
URL, or a whole chat message ("hi, I sent 0.01 BTC, tx 3a1f…, to bc1q… and nothing arrived").

Inside an explorer link only what the path says counts: a hash after `/tx/` (or `/transaction/`…)
is a transaction, one after `/block/` is not; an address after `/token/` is a token contract, the
holder is the `?a=` parameter. A link to a test network (testnet, signet, Sepolia…) yields nothing
to investigate; it is reported in `test_networks` so the caller can say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from chains.base import Chain, InvalidReference
from chains.references import chain_of_address, normalize_address

_URL = re.compile(
    r"(?:https?://)?(?<![\w.@-])(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::[0-9]+)?/[^\s<>\"'`]*",
)
_ETH_HASH = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_BARE_HASH = re.compile(r"(?<![0-9a-zA-Z])[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_ETH_ADDRESS = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
# Bech32 is all lower or all upper case (BIP-173); the validator refuses mixed case.
_BTC_ADDRESS = re.compile(
    r"(?<![0-9a-zA-Z])(?:[bB][cC]1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})(?![0-9a-zA-Z])"
)
# TRON (issue 24): T and 33 Base58 characters; the checksum is checked by the validator.
_TRON_ADDRESS = re.compile(r"(?<![0-9a-zA-Z])T[1-9A-HJ-NP-Za-km-z]{33}(?![0-9a-zA-Z])")
_HASH = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")
_TX_WORDS = frozenset({"tx", "txs", "transaction", "transactions", "txid"})
_OTHER_WORDS = frozenset(
    {"block", "blocks", "block-hash", "blockhash", "height", "token", "tokens", "contract", "token20", "token10"}
)
_ADDRESS_WORDS = frozenset({"address", "addresses", "addr", "account", "wallet"})
_TOKEN_WORDS = frozenset({"token", "tokens", "contract", "token20", "token10"})
_TEST_NETWORKS = {
    "testnet": "testnet",
    "testnet3": "testnet",
    "testnet4": "testnet4",
    "signet": "signet",
    "regtest": "regtest",
    "sepolia": "Sepolia",
    "goerli": "Goerli",
    "holesky": "Holesky",
    "hoodi": "Hoodi",
    "ropsten": "Ropsten",
    "rinkeby": "Rinkeby",
    "amoy": "Amoy",  # Polygon's test network (amoy.polygonscan.com); BSC's is testnet.bscscan.com
}
MAX_HASHES = 5
# A question about a withdrawal (a payout by the casino), not a deposit, in ru/de/en: "вывод не пришёл",
# "Auszahlung nicht angekommen", "withdrawal not received", "where is my payout"...
_WITHDRAWAL = re.compile(
    r"\b(withdr[ae]w(?:al|als|n|ing)?|cash[- ]?out|payouts?|pay[- ]out)\b"
    r"|\b(вывод\w*|выплат\w*|вывел\w*|вывест\w*|снят\w*)"
    r"|\b(auszahlung\w*|ausgezahlt|abhebung\w*|abgehoben)",
    re.IGNORECASE,
)
# "w-77" / "payout id W-77" / "Auszahlung #w-77": a payout id as the back office shows it to players
_PAYOUT_ID = re.compile(r"\b(w-\d{1,12})\b", re.IGNORECASE)


@dataclass
class Extracted:
    tx_hashes: list[str] = field(default_factory=list)  # in order of appearance, de-duplicated
    addresses: list[tuple[Chain, str]] = field(default_factory=list)  # valid ones only, canonical form
    test_networks: list[str] = field(default_factory=list)  # "testnet (mempool.space)": links not investigated
    withdrawal: bool = False  # the text asks about a withdrawal (a payout), not a deposit
    payout_ids: list[str] = field(default_factory=list)  # "w-77"-style payout ids named in the text

    @property
    def tx_hash(self) -> str | None:
        return self.tx_hashes[0] if self.tx_hashes else None

    @property
    def address(self) -> str | None:
        return self.addresses[0][1] if self.addresses else None

    @property
    def test_network_reason(self) -> str | None:
        if not self.test_networks:
            return None
        return (
            f"the link is to a test network ({self.test_networks[0]}): test coins have no value and are never "
            "credited; ask the player for the mainnet transaction"
        )


def extract(text: str, *, max_hashes: int = MAX_HASHES) -> Extracted:
    """Hashes and valid addresses in order of appearance; inside links, only what the path names."""
    found = Extracted()
    hashes: list[tuple[int, str]] = []
    addresses: list[tuple[int, str]] = []
    masked = list(text)
    for match in _URL.finditer(text):
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
        _read_link(match.group(0).rstrip(".,;:!?)]}*_"), match.start(), found, hashes, addresses)
    rest = "".join(masked)
    for pattern in (_ETH_HASH, _BARE_HASH):
        hashes += [(match.start(), match.group(0)) for match in pattern.finditer(rest)]
    for pattern in (_ETH_ADDRESS, _BTC_ADDRESS, _TRON_ADDRESS):
        addresses += [(match.start(), match.group(0)) for match in pattern.finditer(rest)]
    for _position, value in sorted(hashes):
        value = value.lower()
        bare = value.removeprefix("0x")
        if not any(h.removeprefix("0x") == bare for h in found.tx_hashes):
            found.tx_hashes.append(value)
        if len(found.tx_hashes) >= max_hashes:
            break
    for _position, text_address in sorted(addresses):
        try:
            chain = chain_of_address(text_address)
            address = normalize_address(chain, text_address)
        except InvalidReference:
            continue
        if (chain, address) not in found.addresses:
            found.addresses.append((chain, address))
    found.withdrawal = _WITHDRAWAL.search(rest) is not None
    for match in _PAYOUT_ID.finditer(rest):
        if match.group(1).lower() not in found.payout_ids:
            found.payout_ids.append(match.group(1).lower())
    return found


def _read_link(
    link: str, position: int, found: Extracted, hashes: list[tuple[int, str]], addresses: list[tuple[int, str]]
) -> None:
    parts = urlsplit(link if "://" in link else "https://" + link)
    host = (parts.hostname or "").lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.fragment.startswith("/"):  # tronscan routes in the fragment: /#/transaction/<txid>
        segments += [segment for segment in parts.fragment.split("?")[0].split("/") if segment]
    network = next(
        (
            _TEST_NETWORKS[word]
            for word in [*re.split(r"[.-]", host), *(s.lower() for s in segments)]
            if word in _TEST_NETWORKS
        ),
        None,
    )
    if network is not None:
        found.test_networks.append(f"{network} ({host})")
        return
    context = ""
    for offset, segment in enumerate(segments):
        lowered = segment.lower()
        if lowered in _TX_WORDS | _OTHER_WORDS | _ADDRESS_WORDS:
            context = lowered
            continue
        where = position + offset + 1  # keeps the link's order among the rest of the text
        if _HASH.fullmatch(segment):
            if context in _TX_WORDS:
                hashes.append((where, segment))
        elif context not in _TOKEN_WORDS and any(
            p.fullmatch(segment) for p in (_ETH_ADDRESS, _BTC_ADDRESS, _TRON_ADDRESS)
        ):
            addresses.append((where, segment))
    query = parse_qs(parts.query or parts.fragment.partition("?")[2])
    for holder in query.get("a", []):  # etherscan's token tracker: /token/<contract>?a=<holder>
        addresses.append((position + len(segments) + 1, holder))
    for value in query.get("tx", []) + query.get("txid", []):
        if _HASH.fullmatch(value):
            hashes.append((position + len(segments) + 1, value))
