"""Transaction hashes and wallet addresses picked out of free text: a pasted hash, an explorer
URL, or a whole chat message ("hi, I sent 0.01 BTC, tx 3a1f…, to bc1q… and nothing arrived")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chains.base import Chain, InvalidReference
from chains.references import chain_of_address, normalize_address

# Explorer paths that name a transaction: mempool.space, blockstream.info, blockchair, etherscan,
# blockcypher, btcscan, ethplorer, tokenview and the like all put the hash after /tx/ or /transaction/.
_EXPLORER_TX = re.compile(
    r"https?://[^\s/]+(?:/[^\s/]+)*?/(?:tx|txs|transaction|transactions)/(?P<hash>(?:0x)?[0-9a-fA-F]{64})\b"
)
_ETH_HASH = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_BARE_HASH = re.compile(r"(?<![0-9a-zA-Z])[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_ETH_ADDRESS = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_BTC_ADDRESS = re.compile(
    r"(?<![0-9a-zA-Z])(?:bc1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})(?![0-9a-zA-Z])"
)
MAX_HASHES = 5


@dataclass
class Extracted:
    tx_hashes: list[str] = field(default_factory=list)  # in order of appearance, de-duplicated
    addresses: list[tuple[Chain, str]] = field(default_factory=list)  # valid ones only, canonical form

    @property
    def tx_hash(self) -> str | None:
        return self.tx_hashes[0] if self.tx_hashes else None

    @property
    def address(self) -> str | None:
        return self.addresses[0][1] if self.addresses else None


def extract(text: str, *, max_hashes: int = MAX_HASHES) -> Extracted:
    """Hashes (explorer URLs first, then 0x hashes, then bare 64 hex) and valid addresses."""
    found = Extracted()
    positions: list[tuple[int, str]] = []
    for pattern in (_EXPLORER_TX, _ETH_HASH, _BARE_HASH):
        for match in pattern.finditer(text):
            value = match.group("hash") if "hash" in pattern.groupindex else match.group(0)
            positions.append((match.start(), value.lower()))
    for _position, value in sorted(positions):
        bare = value.removeprefix("0x")
        if not any(h.removeprefix("0x") == bare for h in found.tx_hashes):
            found.tx_hashes.append(value)
        if len(found.tx_hashes) >= max_hashes:
            break
    candidates = sorted(
        (match.start(), match.group(0)) for pattern in (_ETH_ADDRESS, _BTC_ADDRESS) for match in pattern.finditer(text)
    )
    for _position, text_address in candidates:
        try:
            chain = chain_of_address(text_address)
            address = normalize_address(chain, text_address)
        except InvalidReference:
            continue
        if (chain, address) not in found.addresses:
            found.addresses.append((chain, address))
    return found
