"""The machine's own limits, measured in the same run as calibration.

- `pg_hot_row`: several autocommit connections run `UPDATE t SET v = v + 1 WHERE id = 1` on one
  row for a fixed time; updates/s is what one hot auction row could ever take on this machine.
- `serve_bare` (`python -m bench.ceilings PORT`): a one-process `websockets` server speaking the
  smallest subset of the bid protocol (snapshot, ack, event) that broadcasts every bid to all
  sockets. The same generators that load daphne load it, so deliveries/s compare like for like.
"""

import asyncio
import json
import multiprocessing as mp
import sys
import time
from datetime import UTC, datetime

import psycopg
from websockets.asyncio.server import broadcast, serve

HOT_TABLE = "bench_hot_row"


def _hot_row_worker(dsn: str, seconds: float, out) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        done, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            conn.execute(f"UPDATE {HOT_TABLE} SET v = v + 1 WHERE id = 1")  # noqa: S608
            done += 1
        out.put(done)


def _hot_row_rate(dsn: str, connections: int, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_hot_row_worker, args=(dsn, seconds, out)) for _ in range(connections)]
    for worker in workers:
        worker.start()
    total = sum(out.get(timeout=seconds + 30) for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def pg_hot_row(dsn: str, connections: tuple[int, ...] = (1, 4, 16), seconds: float = 3.0) -> dict:
    """Best updates/s over a few connection counts: durable commits share WAL flushes (group
    commit), so the ceiling depends on how many sessions wait on the row at once."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {HOT_TABLE}")
        conn.execute(f"CREATE TABLE {HOT_TABLE} (id int PRIMARY KEY, v bigint NOT NULL)")
        conn.execute(f"INSERT INTO {HOT_TABLE} VALUES (1, 0)")  # noqa: S608
    rates = {n: _hot_row_rate(dsn, n, seconds) for n in connections}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {HOT_TABLE}")
    best = max(rates, key=rates.get)
    return {"connections": best, "seconds": seconds, "per_s": rates[best], "by_connections": rates}


def _dumps(frame: dict) -> str:
    """As the platform serialises its frames (bidding/protocol.py: compact, sorted keys)."""
    return json.dumps(frame, separators=(",", ":"), sort_keys=True)


async def _serve_bare(port: int) -> None:
    sockets: set = set()
    state = {"seq": 0, "bid_seq": 0}

    async def handler(ws):
        sockets.add(ws)
        try:
            await ws.send(_dumps({"type": "snapshot", "seq": state["seq"], "auction": {}, "bids": [], "me": None}))
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "bid":
                    continue
                state["seq"] += 1
                state["bid_seq"] += 1
                now = datetime.now(UTC).isoformat()
                bid = {"seq": state["bid_seq"], "code": "A0001", "amount": message["amount"], "received_at": now}
                await ws.send(
                    _dumps({"type": "ack", "client_bid_id": message["client_bid_id"], "bid": bid, "seq": state["seq"]})
                )
                event = {
                    "type": "event",
                    "seq": state["seq"],
                    "kind": "bid",
                    "server_time": now,
                    "data": {**bid, "current_price": message["amount"], "ends_at": now, "extended": False},
                }
                broadcast(sockets, _dumps(event))  # serialised once, written to every socket
        finally:
            sockets.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None, max_queue=256):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(_serve_bare(int(sys.argv[1])))
