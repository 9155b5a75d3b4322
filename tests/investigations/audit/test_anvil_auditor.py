"""The deposit auditor against a real node (anvil): native, ERC-20 and contract-forwarded payments to
casino addresses, some credited, some not, one below the minimum, one in a token we do not accept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select
from web3 import Web3

from app.finance.auditor import Auditor
from app.wiring import build_block_sources, build_investigator
from chains.assets import Asset
from chains.base import Chain
from investigations.audit import cursors
from investigations.audit.models import AuditBlock, AuditPayment, Finding
from investigations.audit.reconcile import Reconciler
from investigations.models import Investigation
from investigations.types import utcnow
from tests.conftest import require
from tests.support.anvil import ANVIL, SOLC, Anvil, compile_contracts
from tests.support.ledger import add_addresses_on, add_deposit_on

pytestmark = pytest.mark.anvil
PLAYERS = {f"p-{i}": "0x" + f"c{i}" * 20 for i in range(1, 8)}


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    require(SOLC.exists(), "the solc compiler is not installed: run `npm ci`")
    anvil = Anvil.start()
    yield anvil
    anvil.stop()


@pytest.fixture(scope="module")
def contracts(node: Anvil) -> dict:
    return compile_contracts()


def _deploy(w3: Web3, contracts: dict, name: str, *args):
    factory = w3.eth.contract(abi=contracts[name]["abi"], bytecode=contracts[name]["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": w3.eth.accounts[0]}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=contracts[name]["abi"])


def _hex(value) -> str:
    return "0x" + bytes(value).hex()


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self):
        return utcnow() + self.offset


def _auditor(engine, settings, clock: Clock, start: int) -> Auditor:
    investigator = build_investigator(settings)
    return Auditor(
        engine,
        build_block_sources(settings),
        Reconciler(investigator, grace=timedelta(minutes=30), clock=clock),
        start_heights={Chain.ETH: start},
        clock=clock,
    )


def _eth_only(auditor: Auditor) -> Auditor:
    auditor.sources = {Chain.ETH: auditor.sources[Chain.ETH]}
    return auditor


def _open(session: Session) -> dict[tuple[str, str], str]:
    rows = session.exec(select(Finding).where(Finding.status == "open")).all()
    return {(f.player_ref, f.asset): f.code for f in rows}


def test_findings_are_exactly_the_uncredited_payments_after_the_grace(node, contracts, settings, engine):
    w3 = Web3(Web3.HTTPProvider(node.url))
    token = _deploy(w3, contracts, "TestToken", "Test Dollar", "TUSD", 6)
    unlisted = _deploy(w3, contracts, "TestToken", "Scam Dollar", "USDT", 6)
    forwarder = _deploy(w3, contracts, "Forwarder")
    settings = settings.model_copy(
        update={
            "eth_providers": [node.url, node.url.replace("127.0.0.1", "localhost")],
            "eth_confirmations": 2,
            "eth_tokens": [Asset("TUSD", Chain.ETH, 6, token.address.lower())],
            "min_deposits": {"ETH": 2 * 10**15, "TUSD": 10_000_000},
        }
    )
    with Session(engine) as session:
        add_addresses_on(session, "eth", *[(address, player) for player, address in PLAYERS.items()])
    sender = w3.eth.accounts[2]
    token.functions.mint(sender, 10**12).transact({"from": sender})
    unlisted.functions.mint(sender, 10**12).transact({"from": sender})
    start = w3.eth.block_number + 1
    clock = Clock()
    auditor = _eth_only(_auditor(engine, settings, clock, start))

    def pay_eth(player: str, wei: int) -> str:
        to = Web3.to_checksum_address(PLAYERS[player])
        return _hex(w3.eth.send_transaction({"from": sender, "to": to, "value": wei}))

    def pay_token(contract, player: str, units: int) -> str:
        to = Web3.to_checksum_address(PLAYERS[player])
        return _hex(contract.functions.transfer(to, units).transact({"from": sender}))

    credited = pay_eth("p-1", 5 * 10**16)
    pay_eth("p-2", 7 * 10**16)
    pay_token(token, "p-3", 250 * 10**6)
    pay_token(token, "p-4", 5 * 10**6)  # below the 10 TUSD minimum
    forwarded = forwarder.functions.forward(Web3.to_checksum_address(PLAYERS["p-5"]))
    forwarded.transact({"from": sender, "value": 3 * 10**16})
    pay_token(unlisted, "p-1", 10**8)
    credited_token = pay_token(token, "p-6", 100 * 10**6)
    mismatched = pay_eth("p-4", 2 * 10**16)
    node.rpc("anvil_mine", hex(2))
    with Session(engine) as session:
        add_deposit_on(session, "eth", credited, PLAYERS["p-1"], "ETH", "0.05", "p-1")
        add_deposit_on(session, "eth", mismatched, PLAYERS["p-4"], "ETH", "0.01", "p-4")  # the ledger's typo
        session.commit()
    with Session(engine) as session:  # the TUSD row goes through the deployment's own assets
        from investigations.ledger import LedgerDepositRecord, upsert_deposits

        record = LedgerDepositRecord(
            chain="eth",
            tx_hash=credited_token,
            address=PLAYERS["p-6"],
            asset="TUSD",
            amount="100",
            status="credited",
            player_ref="p-6",
        )
        upsert_deposits(session, [record], settings.assets)
        session.commit()

    auditor.round()
    with Session(engine) as session:
        assert len(session.exec(select(AuditPayment)).all()) == 8
        assert _open(session) == {}  # within the grace: the casino's processor may still credit them

    clock.offset = timedelta(minutes=31)
    auditor.round()
    with Session(engine) as session:
        assert _open(session) == {
            ("p-2", "ETH"): "confirmed_not_credited",
            ("p-3", "TUSD"): "confirmed_not_credited",
            ("p-4", "TUSD"): "below_minimum",
            ("p-4", "ETH"): "amount_mismatch",
            ("p-5", "ETH"): "confirmed_not_credited",
            ("p-1", f"erc20:{unlisted.address.lower()}"): "unsupported_asset",
        }
        kinds = {p.player_ref: p.kinds for p in session.exec(select(AuditPayment))}
        assert kinds["p-5"] == "internal" and kinds["p-3"] == "token"
        late = session.exec(select(Finding).where(Finding.player_ref == "p-2")).one()
        add_deposit_on(session, "eth", late.tx_hash, PLAYERS["p-2"], "ETH", "0.07", "p-2")
        add_deposit_on(session, "eth", mismatched, PLAYERS["p-4"], "ETH", "0.02", "p-4")  # corrected

    auditor.round()
    with Session(engine) as session:
        resolved = session.exec(select(Finding).where(Finding.player_ref == "p-2")).one()
        assert (resolved.status, resolved.resolved_by) == ("resolved", "ledger")
        assert session.get(Investigation, resolved.investigation_id).code == "credited"  # the card agrees
        assert ("p-2", "ETH") not in _open(session) and ("p-4", "ETH") not in _open(session)

    # A payment found, then removed by a reorg: its finding is withdrawn.
    reorged = pay_eth("p-7", 9 * 10**16)
    node.rpc("anvil_mine", hex(1))
    auditor.round()
    with Session(engine) as session:
        assert _open(session)[("p-7", "ETH")] == "confirmed_not_credited"
    node.rpc("anvil_reorg", 3, [])
    node.rpc("anvil_mine", hex(1))
    auditor.round()
    with Session(engine) as session:
        finding = session.exec(select(Finding).where(Finding.tx_hash == reorged)).one()
        assert finding.status == "withdrawn"
        payment = session.get(AuditPayment, finding.payment_id)
        assert payment is not None and payment.status == "withdrawn"

    # A restart (another process, the lease released) resumes from the cursor: no gap, nothing twice.
    with Session(engine) as session:
        cursors.release(session, Chain.ETH, auditor.owner)
    again = _eth_only(_auditor(engine, settings, clock, start=1))
    later = pay_eth("p-6", 4 * 10**16)
    node.rpc("anvil_mine", hex(3))
    again.round()
    with Session(engine) as session:
        heights = session.exec(select(AuditBlock.height).order_by(col(AuditBlock.height))).all()
        assert heights == list(range(start - 1, w3.eth.block_number + 1))  # from the parent of the first
        assert len(session.exec(select(AuditPayment).where(AuditPayment.tx_hash == later)).all()) == 1
        live = session.exec(select(AuditPayment.tx_hash).where(AuditPayment.status != "withdrawn")).all()
        assert len(live) == len(set(live))
