import pytest

from chains.base import Chain, InvalidAddress, InvalidTxHash
from chains.bitcoin.addresses import address_from_script, normalize_address, normalize_txid
from chains.references import EVM_CHAINS, candidate_chains
from chains.references import normalize_address as normalize_any


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("3L3BoW8MnHneu9H1WSyH1V7dThWR2hLW8g", "3L3BoW8MnHneu9H1WSyH1V7dThWR2hLW8g"),
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        (
            "  bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0 ",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ),
    ],
)
def test_mainnet_addresses_of_every_encoding_are_accepted_in_canonical_form(text, canonical):
    assert normalize_address(text) == canonical


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "testnet or signet"),
        ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "testnet or signet"),
        ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "regtest"),
        ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "testnet/signet/regtest"),
        ("2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", "testnet/signet/regtest"),
    ],
)
def test_test_network_addresses_are_refused_naming_the_network(text, says):
    with pytest.raises(InvalidAddress, match=says) as error:
        normalize_address(text)
    assert "mainnet only" in str(error.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum does not match"),
        ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "Bech32m"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "v0 must use Bech32"),
        ("LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9", "another coin"),
        ("0x52908400098527886E0F7030069857D2E4169EE7", "Ethereum"),
        ("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", "private key"),
        ("", "empty"),
        ("hello world", "not a Bitcoin address"),
    ],
)
def test_malformed_addresses_say_what_is_wrong(text, says):
    with pytest.raises(InvalidAddress, match=says):
        normalize_address(text)


def test_txid_is_64_hex_lowercased_and_0x_is_named_as_ethereum():
    assert normalize_txid("B10C" + "0" * 60) == "b10c" + "0" * 60
    with pytest.raises(InvalidTxHash, match="64 hexadecimal"):
        normalize_txid("abc")
    with pytest.raises(InvalidTxHash, match="Ethereum"):
        normalize_txid("0x" + "a" * 64)


def test_scripts_without_an_address_give_none():
    assert address_from_script("6a0568656c6c6f") is None  # OP_RETURN
    assert address_from_script("4104" + "11" * 64 + "ac") is None  # P2PK, 65-byte key


def test_ethereum_addresses_checksum_is_checked_when_mixed_case():
    assert (
        normalize_any(Chain.ETH, "0x52908400098527886E0F7030069857D2E4169EE7")
        == "0x52908400098527886e0f7030069857d2e4169ee7"
    )
    with pytest.raises(InvalidAddress, match="EIP-55"):
        normalize_any(Chain.ETH, "0x52908400098527886E0F7030069857D2E4169Ee7")


def test_chain_detection_from_hash_and_address():
    assert candidate_chains("ab" * 32, None) == [Chain.BTC, Chain.TRON, *EVM_CHAINS]
    assert candidate_chains("0x" + "ab" * 32, None) == list(EVM_CHAINS)
    assert EVM_CHAINS[:2] == (Chain.ETH, Chain.BSC)  # Ethereum first: it decides when nobody knows the tx
    assert candidate_chains("0x" + "ab" * 32, "0x" + "12" * 20) == list(EVM_CHAINS)  # one address, every network
    assert candidate_chains("ab" * 32, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4") == [Chain.BTC]
    with pytest.raises(InvalidAddress, match="BTC address"):
        candidate_chains("0x" + "ab" * 32, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
