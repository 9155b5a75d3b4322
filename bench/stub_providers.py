"""A stub provider on 127.0.0.1 that speaks Esplora (GET) and Ethereum JSON-RPC (POST), answers
after a latency L, can be told to fail the way public providers fail, and logs when each request
arrived. The benchmarks and the provider tests share it.

Every tx is known and confirmed, except hashes starting with ``ee`` (``0xee`` on Ethereum),
which no provider knows.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chains.bitcoin.bech32 import decode_segwit

BTC_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
ETH_ADDRESS = "0x" + "d0" * 20
BTC_HEIGHT, ETH_HEAD = 850_000, 20_000_000
# What the stub does with each request; "ok" answers after the latency.
# "held" answers normally once `release` is set (tests order answers with it; "hang" never answers).
BEHAVIOURS = ("ok", "hang", "held", "slow", "server_error", "rate_limited", "rate_limited_retry_after", "garbage")


def esplora_tx(txid: str) -> dict[str, Any]:
    _version, program = decode_segwit("bc", BTC_ADDRESS)
    script = "0014" + program.hex()
    output = {"scriptpubkey": script, "scriptpubkey_address": BTC_ADDRESS}
    return {
        "txid": txid,
        "fee": 500,
        "vin": [{"txid": "11" * 32, "vout": 0, "sequence": 0xFFFFFFFF, "prevout": output | {"value": 1_000_500}}],
        "vout": [output | {"value": 1_000_000}],
        "status": {"confirmed": True, "block_height": BTC_HEIGHT, "block_hash": "00" * 32, "block_time": 1_700_000_000},
    }


def eth_answer(call: dict[str, Any]) -> dict[str, Any]:
    method, params = call["method"], call.get("params", [])
    block = {"blockHash": "0x" + "ab" * 32, "blockNumber": hex(ETH_HEAD - 100)}
    unknown = bool(params) and str(params[0]).startswith("0xee")
    result: Any = None
    if method == "eth_getTransactionByHash" and not unknown:
        result = {"hash": params[0], "from": "0x" + "11" * 20, "to": ETH_ADDRESS, "value": hex(10**17)}
        result |= {"input": "0x", "gas": "0x5208", "gasPrice": "0x1", **block}
    elif method == "eth_getTransactionReceipt" and not unknown:
        result = {"transactionHash": params[0], "status": "0x1", "gasUsed": "0x5208", "logs": [], **block}
    elif method == "eth_blockNumber":
        result = hex(ETH_HEAD)
    elif method == "eth_getBlockByNumber":
        result = {"number": hex(ETH_HEAD - 64), "hash": "0x" + "cd" * 32}
    return {"jsonrpc": "2.0", "id": call["id"], "result": result}


class StubProvider:
    def __init__(self, latency: float = 0.02, behaviour: str = "ok", slow_seconds: float = 0.5) -> None:
        self.latency = latency
        self.behaviour = behaviour
        self.slow_seconds = slow_seconds
        self.arrivals: list[float] = []  # wall-clock time of each request
        self.release = threading.Event()  # set to let hanging requests go
        self.chain_id = 1  # what eth_chainId answers (an EVM network's stub: 56, 137, ...)
        self.knows_nothing = False  # an EVM network that knows no tx at all
        self.posts: list[list[str]] = []  # the JSON-RPC methods of each POST (a batch: several), in order
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)  # notified at each request
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def requests(self) -> int:
        return len(self.arrivals)

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> bool:
        """Block until `count` requests have arrived (False if they did not within `timeout`)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.arrivals) >= count, timeout)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, answer: Any) -> None:
        with self.lock:
            self.arrivals.append(time.time())
            self.arrived.notify_all()
        behaviour = self.behaviour
        if behaviour == "hang":
            self.release.wait(120)
            return
        if behaviour == "held":
            self.release.wait(120)
        time.sleep(self.slow_seconds if behaviour == "slow" else self.latency)
        status, headers, body = 200, {"Content-Type": "application/json"}, answer
        if behaviour == "server_error":
            status, body = 502, "Bad Gateway"
        elif behaviour.startswith("rate_limited"):
            status, body = 429, "Too Many Requests"
            if behaviour.endswith("retry_after"):
                headers["Retry-After"] = "1"
        elif behaviour == "garbage":
            body = "<html>upstream says hello"
        if isinstance(body, tuple):
            status, body = body
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _eth(stub: StubProvider, call: dict[str, Any]) -> dict[str, Any]:
    if call["method"] == "eth_chainId":
        return {"jsonrpc": "2.0", "id": call["id"], "result": hex(stub.chain_id)}
    if stub.knows_nothing and call["method"] in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
        return {"jsonrpc": "2.0", "id": call["id"], "result": None}
    return eth_answer(call)


def _handler(stub: StubProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as public providers answer
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:  # Esplora
            if self.path.endswith("/blocks/tip/height"):
                stub.respond(self, str(BTC_HEIGHT + 10))
                return
            txid = self.path.rstrip("/").rsplit("/", 1)[1]
            stub.respond(self, (404, "Transaction not found") if txid.startswith("ee") else esplora_tx(txid))

        def do_POST(self) -> None:  # Ethereum JSON-RPC
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stub.lock:
                stub.posts.append([c["method"] for c in (payload if isinstance(payload, list) else [payload])])
            answer = [_eth(stub, c) for c in payload] if isinstance(payload, list) else _eth(stub, payload)
            stub.respond(self, answer)

    return Handler


def bare_round_trip(urls: list[str], count: int = 42) -> float:
    """The p50 seconds of one bare JSON-RPC POST to these stubs (in turn) from a plain requests
    session, connections already open: the latency the stubs really deliver. Their sleep and HTTP
    handling add a few ms to L on a busy machine, which a ratio to L alone would charge to the
    lookup; a benchmark prints its figures against this baseline of the same run too."""
    import statistics

    import requests

    body = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}])
    headers = {"Content-Type": "application/json"}
    took = []
    with requests.Session() as session:
        for url in urls:
            session.post(url, data=body, headers=headers, timeout=30)
        for index in range(count):
            started = time.perf_counter()
            session.post(urls[index % len(urls)], data=body, headers=headers, timeout=30)
            took.append(time.perf_counter() - started)
    return statistics.median(took)


def refusing_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class StubProcess:
    """Stub providers served by a process of their own, as real providers are other machines: their
    request parsing and answers take none of the measured process's CPU (nor its GIL). `specs`
    gives each stub's latency, chain id and whether it knows no tx; `urls` is in that order.
    (A process per stub was tried too: on two cores their wake-ups cost more than they spare.)"""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # a clean interpreter, not a copy of this one
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=_serve_stubs, args=(specs, theirs), daemon=True)
        self._process.start()
        if not self._conn.poll(60):
            self._process.kill()
            raise RuntimeError("the stub provider process did not start within 60 s")
        self.urls: list[str] = self._conn.recv()

    @property
    def requests(self) -> int:
        """Requests that have reached any of the stubs so far."""
        return self._ask(("requests", None))

    @property
    def stubs(self) -> list[StubHandle]:
        """One handle per stub, in the order of `specs`: its URL, requests, and behaviour to set."""
        return [StubHandle(self, index, url) for index, url in enumerate(self.urls)]

    def _ask(self, command: tuple[str, Any]) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


class StubHandle:
    """One stub of a StubProcess, used like a StubProvider by the benchmarks: `url`, `requests`, and
    `behaviour` (set it to make that stub hang, fail, ...)."""

    def __init__(self, process: StubProcess, index: int, url: str) -> None:
        self._process, self._index, self.url = process, index, url
        self._behaviour = "ok"

    @property
    def requests(self) -> int:
        return int(self._process._ask(("requests", self._index)))

    @property
    def behaviour(self) -> str:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        if value not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {value!r}")
        self._behaviour = self._process._ask(("behaviour", (self._index, value)))


def _serve_stubs(specs: list[dict[str, Any]], conn: Any) -> None:
    stubs = []
    for spec in specs:
        stub = StubProvider(latency=spec.get("latency", 0.02))
        stub.chain_id = spec.get("chain_id", 1)
        stub.knows_nothing = spec.get("knows_nothing", False)
        stubs.append(stub)
    conn.send([stub.url for stub in stubs])
    while (command := conn.recv()) != "stop":
        what, arg = command
        if what == "requests":
            conn.send(sum(stub.requests for stub in (stubs if arg is None else [stubs[arg]])))
        elif what == "behaviour":
            index, behaviour = arg
            stubs[index].behaviour = behaviour
            conn.send(behaviour)
    for stub in stubs:
        stub.stop()
