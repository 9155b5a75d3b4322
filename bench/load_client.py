"""Open-loop webhook load, meant to run in a process of its own (bench.scale starts it):

    python -m bench.load_client --port P --secret whsec_… --rate 500 --seconds 10 [--connections 256]
                                [--zendesk-tickets N]   # Zendesk webhooks for tickets 1..N instead


Request i is due at start + i / rate whatever happened to earlier ones; its latency is measured from
that scheduled time to the end of the answer, so queueing in the client (all connections busy) or in
the server shows up instead of being hidden by a closed loop that simply sends less. Prints one JSON
line: offered and achieved rate, answers by status, ack p50/p99 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

from tests.support.helpdesks import standard_headers, zendesk_headers


def _requests(secret: str, count: int, prefix: str) -> list[bytes]:
    built = []
    for number in range(count):
        body = json.dumps({"ticket_ref": f"{prefix}-{number}", "text": "no deposit yet, tx pending?"}).encode()
        headers = standard_headers(secret, body, webhook_id=f"msg_{prefix}_{number}")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        built.append(
            f"POST /webhooks/generic HTTP/1.1\r\nHost: bench\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    return built


def _zendesk_requests(secret: str, tickets: int, prefix: str) -> list[bytes]:
    """A Zendesk webhook for each of tickets 1..N (the ticket is read back from the helpdesk)."""
    built = []
    for number in range(1, tickets + 1):
        body = json.dumps({"ticket_id": str(number)}).encode()
        headers = zendesk_headers(secret, body, invocation=f"{prefix}-{number}")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        built.append(
            f"POST /webhooks/zendesk HTTP/1.1\r\nHost: bench\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    return built


async def _answer(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def run(host: str, port: int, requests: list[bytes], rate: float, connections: int) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, port))
    outcomes: list[tuple[float, float, int]] = []

    async def send(request: bytes, due: float) -> None:
        reader, writer = await idle.get()
        status = -1
        for _attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: once more on a new one
            try:
                writer.write(request)
                status = await _answer(reader)
                break
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                status = -1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
        idle.put_nowait((reader, writer))
        outcomes.append((due, loop.time(), status))

    start = loop.time() + 0.2
    tasks = []
    for number, request in enumerate(requests):
        due = start + number / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(send(request, due)))
    await asyncio.gather(*tasks)
    end = max(done for _due, done, _status in outcomes)
    latencies = sorted((done - due) * 1000 for due, done, status in outcomes if status == 202)
    refused = sorted((done - due) * 1000 for due, done, status in outcomes if status == 503)
    statuses: dict[str, int] = {}
    for _due, _done, status in outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] if latencies else float("nan")
    return {
        "offered_per_s": rate,
        "achieved_per_s": round(statuses.get("202", 0) / (end - start), 1),
        "statuses": statuses,
        "ack_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "ack_p99_ms": round(p99, 1),
        "refusal_p50_ms": round(statistics.median(refused), 1) if refused else None,
        # when request i was due, on the machine's monotonic clock (time.monotonic, time.perf_counter)
        "due": [due for due, _done, _status in sorted(outcomes)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--zendesk-tickets", type=int, default=0)
    args = parser.parse_args()
    if args.zendesk_tickets:
        requests = _zendesk_requests(args.secret, args.zendesk_tickets, uuid.uuid4().hex[:8])
    else:
        requests = _requests(args.secret, int(args.rate * args.seconds), uuid.uuid4().hex[:8])
    started = time.perf_counter()
    result = asyncio.run(run(args.host, args.port, requests, args.rate, args.connections))
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
