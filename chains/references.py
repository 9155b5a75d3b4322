"""Which chain a pasted hash or address belongs to, and its canonical form."""

from __future__ import annotations

from chains.base import Chain, InvalidAddress, InvalidTxHash
from chains.bitcoin import addresses as btc
from chains.ethereum import addresses as eth
from chains.tron import addresses as tron

# The EVM networks, Ethereum first (the same list as chains.ethereum.networks.EVM_CHAINS).
EVM_CHAINS = (Chain.ETH, Chain.BSC, Chain.POLYGON, Chain.ARBITRUM, Chain.BASE, Chain.OPTIMISM)


def normalize_address(chain: Chain, text: str) -> str:
    if chain is Chain.BTC:
        return btc.normalize_address(text)
    if chain is Chain.TRON:
        if text.strip()[:2].lower() == "0x" and len(text.strip()) == 42:
            return tron.from_evm(eth.normalize_address(text))  # the same 20 bytes, in their T… form
        return tron.normalize_address(text)
    return eth.normalize_address(text)


def normalize_tx_hash(chain: Chain, text: str) -> str:
    if chain is Chain.BTC:
        return btc.normalize_txid(text)
    if chain is Chain.TRON:
        return tron.normalize_txid(text)
    return eth.normalize_tx_hash(text)


def chain_of_address(text: str) -> Chain:
    """The chain an address belongs to; InvalidAddress naming the problem otherwise."""
    if text.strip()[:2].lower() == "0x":
        eth.normalize_address(text)
        return Chain.ETH
    if text.strip()[:1] == "T" and tron.is_tron_address(text):
        return Chain.TRON
    btc.normalize_address(text)
    return Chain.BTC


def candidate_chains(tx_hash: str, address: str | None) -> list[Chain]:
    """Chains the hash could be on, most likely first: 0x+64 hex is Ethereum, bare 64 hex is
    Bitcoin or TRON (asked at once), then Ethereum; an address of a known chain narrows the list.
    A 0x address keeps TRON beside Ethereum: the same 20 bytes may have been paid on TRON."""
    text = tx_hash.strip()
    if text[:2].lower() == "0x":
        chains = list(EVM_CHAINS)
        eth.normalize_tx_hash(text)
    else:
        btc.normalize_txid(text)
        chains = [Chain.BTC, Chain.TRON, *EVM_CHAINS]
    if address:
        address_chain = chain_of_address(address)
        if address_chain is Chain.TRON and chains == list(EVM_CHAINS):
            chains = [Chain.TRON]  # a TRON txid some wallets show with 0x
        if address_chain not in chains:
            raise InvalidAddress(
                f"the address is a {address_chain.name} address but the hash cannot be a {address_chain.name} transaction"
            )
        # An EVM address is the same on every EVM network: the hash may be on any of them; TRON too
        # (the same 20 bytes in their T form).
        evm = [c for c in chains if c in EVM_CHAINS]
        chains = (
            evm + ([Chain.TRON] if Chain.TRON in chains else []) if address_chain in EVM_CHAINS else [address_chain]
        )
    return chains


__all__ = [
    "InvalidAddress",
    "InvalidTxHash",
    "candidate_chains",
    "chain_of_address",
    "normalize_address",
    "normalize_tx_hash",
]
