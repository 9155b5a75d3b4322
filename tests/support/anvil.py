"""A real Ethereum node for tests: anvil from the npm package, and test contracts compiled with
the npm solc compiler. Both are installed by `npm ci` (scripts/test.sh does it)."""

from __future__ import annotations

import functools
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SOLC = ROOT / "node_modules" / "solc"
CONTRACTS = ROOT / "tests" / "contracts" / "DepositTestContracts.sol"
_COMPILE = (
    "const solc = require('solc'); let input = '';"
    "process.stdin.on('data', d => input += d).on('end', () => process.stdout.write(solc.compile(input)));"
)


@dataclass
class Anvil:
    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, chain_id: int = 1) -> Anvil:
        """A fresh node; ``chain_id`` makes it answer eth_chainId as that network (56 = BSC, 8453 = Base)."""
        port = free_port()
        process = subprocess.Popen(
            [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--chain-id", str(chain_id)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        node = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                node.rpc("eth_blockNumber")
                return node
            except requests.ConnectionError as exc:
                if process.poll() is not None:
                    detail = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"anvil exited: {detail}") from exc
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("anvil did not answer within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def rpc(self, method: str, *params: Any) -> Any:
        answer = requests.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30
        ).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


@functools.cache
def compile_contracts() -> dict[str, dict[str, Any]]:
    """{name: {"abi": [...], "bytecode": "0x…"}} for the test contracts, via the npm solc compiler
    (once per test run: several test modules start nodes of their own)."""
    source = {
        "language": "Solidity",
        "sources": {CONTRACTS.name: {"content": CONTRACTS.read_text()}},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    result = subprocess.run(
        ["node", "-e", _COMPILE],
        input=json.dumps(source).encode(),
        capture_output=True,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    output = json.loads(result.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("solc: " + "; ".join(e["formattedMessage"] for e in errors))
    return {
        name: {"abi": contract["abi"], "bytecode": "0x" + contract["evm"]["bytecode"]["object"]}
        for name, contract in output["contracts"][CONTRACTS.name].items()
    }
