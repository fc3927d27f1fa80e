"""Scenarios M1–M8 of the benchmark issue, the calibration ceilings, and the lot page's weight.

Every scenario has a fixed count, a hard time limit and loopback targets only, and returns a dict:
rows of {metric, target, value, unit, ok, ceiling, ceiling_min} (the report turns value/ceiling
into ratios), `problems` (correctness failures: what --smoke asserts never happened) and
`latency` (named HDR histograms for the plot). Scale differs between a full run and --smoke;
what is checked does not.
"""

import asyncio
import contextlib
import gzip
import queue
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench import hist, measure
from bench.httpclient import HttpConnection
from bench.phase import Phase
from bench.rawws import open_watcher
from bench.servers import Servers, cpu_seconds, family_cpu_seconds, free_port, rss_bytes

if TYPE_CHECKING:
    from bench.seed import Seeder

HOST = "127.0.0.1"
GENERATORS = 2  # generator processes per kind: the 2-core machine's client side

FULL = {
    "m1": {"seats": 800, "rate": 3000, "count": 18000},
    "m2": {"auctions": 100, "seats": 6, "rate": 1800, "count": 10800},
    "m3a": {"watchers": 1000, "rate": 5, "count": 100},
    "m3b": {"watchers": 5000, "rate": 5, "count": 100},
    "m4": {"watchers": 1000, "seats": 32, "rate": 80, "count": 240},
    "m5": {"watchers": 10000},
    "m7": {"watchers": 2000, "connect_rate": 2000},
    "m8": {"auctions": 10, "lead_s": 10, "stagger_s": 0.5, "seats": 300, "rate": 500},
    "pg": {"connections": (1, 4, 16), "seconds": 3},
}
SMOKE = {
    "m1": {"seats": 6, "rate": 20, "count": 40},
    "m2": {"auctions": 3, "seats": 2, "rate": 30, "count": 45},
    "m3a": {"watchers": 20, "rate": 5, "count": 10},
    "m3b": {"watchers": 30, "rate": 5, "count": 10},
    "m4": {"watchers": 20, "seats": 4, "rate": 10, "count": 20},
    "m5": {"watchers": 40},
    "m7": {"watchers": 40, "connect_rate": 100},
    "m8": {"auctions": 2, "lead_s": 5, "stagger_s": 0.5, "seats": 4, "rate": 10},
    "pg": {"connections": (2,), "seconds": 0.5},
}


@dataclass
class Context:
    mode: str  # "services" (PostgreSQL + Redis) or "embedded" (SQLite + in-memory layer)
    smoke: bool
    seeder: "Seeder"
    log_dir: Path
    scale: dict = field(init=False)
    shared: tuple | None = None  # (Servers, ports) reused by every scenario of a smoke run

    def __post_init__(self):
        self.scale = SMOKE if self.smoke else FULL
        self.log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def multi(self) -> int:
        """daphne processes for throughput scenarios: one in the embedded default (its in-memory
        layer cannot cross processes), two with PostgreSQL + Redis (one per core)."""
        return 2 if self.mode == "services" else 1


@contextlib.contextmanager
def serving(ctx: Context, daphnes: int, clock: bool = True):
    """daphne processes (and the clock worker) for one scenario, stopped afterwards; a smoke run
    shares one set of servers across scenarios to stay short."""
    from django.db import connection

    connection.close()  # SQLite: no lock held by the harness while the servers work
    if ctx.shared is not None:
        servers, ports = ctx.shared
        yield servers, ports[:daphnes]
        return
    servers = Servers(ctx.log_dir)
    try:
        ports = [servers.daphne() for _ in range(daphnes)]
        if clock:
            servers.clock()
        asyncio.run(_warm(ports, ctx.seeder.warm_auction))
        yield servers, ports
    finally:
        servers.stop()


async def _warm(ports: list[int], auction_id: int) -> None:
    """One snapshot over HTTP and one socket per process before measuring: imports, URL
    resolution, the first database and Redis connections are start-up costs, not load."""
    for port in ports:
        conn = HttpConnection(HOST, port)
        await conn.request("GET", f"/auctions/{auction_id}/snapshot")
        conn.close()
        snapshot = asyncio.get_running_loop().create_future()

        def got(*_, future=snapshot):
            if not future.done():
                future.set_result(True)

        watcher = await open_watcher(HOST, port, f"/ws/auctions/{auction_id}/", None, got, lambda: None)
        await asyncio.wait_for(snapshot, 30)
        watcher.transport.close()


def _sid(key: str) -> str:
    """Scenario id as the issue writes it: m1 → M1, m3a → M3a, m1h → M1h."""
    return key[:2].upper() + key[2:]


def row(metric, target, value, unit, ok=None, ceiling=None, ceiling_min=None) -> dict:
    return {
        "metric": metric,
        "target": target,
        "value": value,
        "unit": unit,
        "ok": ok,
        "ceiling": ceiling,
        "ceiling_min": ceiling_min,
    }


def _split(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def _bidders(phase: Phase, auctions: list[dict], ports, transport, rate, count, deadline_s) -> int:
    workers = min(GENERATORS, len(auctions))  # a round's bids from one process (bench/loadgen.py)
    for worker in range(workers):
        spec = {
            "host": HOST,
            "ports": ports,
            "transport": transport,
            "auctions": auctions,
            "worker": worker,
            "workers": workers,
            "rate": rate,
            "count": count,
            "deadline_s": deadline_s,
        }
        phase.add("bidders", spec)
    return workers


def _watchers(
    phase: Phase,
    targets: list[tuple],
    deadline_s: float,
    connect_rate: float | None = None,
    connect_timeout_s: float | None = None,
) -> int:
    workers = min(GENERATORS, len(targets))
    for worker, share in enumerate(_split(targets, workers)):
        spec = {
            "host": HOST,
            "targets": share,
            "worker": worker,
            "deadline_s": deadline_s,
            "connect_rate": connect_rate / workers if connect_rate else None,
        }
        if connect_timeout_s is not None:
            spec["connect_timeout_s"] = connect_timeout_s
        phase.add("watchers", spec)
    return workers


def _drive(phase: Phase, n_bidders: int, drain_s: float, until_closed: bool = False, on_start=None):
    """Starts the phase, waits for the bidders, then lets watchers drain up to the last acked event.
    `on_start` runs once everything is connected, just before the load starts."""
    try:
        readiness = phase.launch()
        if any(r.get("crashed") for r in readiness):
            raise RuntimeError("a generator failed while connecting")
        if on_start:
            on_start()
        phase.go()
        results = [phase._get(phase.results) for _ in range(n_bidders)]
        bidders = [r for r in results if r["kind"] == "bidders"]
        final = measure.bids(bidders, strict=False)["final_seq"] if bidders else {}
        phase.stop({"final": final, "drain_s": drain_s, "until_closed": until_closed})
        results += phase.collect(already=n_bidders)
    finally:
        phase.abort()
    failures = [r["crashed"] for r in results if "crashed" in r]
    if failures:
        raise RuntimeError("generator failed:\n" + "\n".join(failures))
    return [r for r in results if r["kind"] == "bidders"], [r for r in results if r["kind"] == "watchers"]


def _bid_load(ctx, auctions, ports, transport, rate, count, watch_targets, drain_s=10.0, on_start=None):
    duration = count / rate
    phase = Phase(time_limit=duration + drain_s + 120)
    n = _bidders(phase, auctions, ports, transport, rate, count, deadline_s=duration + drain_s)
    _watchers(phase, watch_targets, deadline_s=duration + drain_s + 60)
    bidder_results, watcher_results = _drive(phase, n, drain_s, on_start=on_start)
    bids = measure.bids(bidder_results, strict=ctx.smoke)
    delivered = measure.deliveries(watcher_results, bids["ack_time"], bids["final_seq"], strict=ctx.smoke)
    return bids, delivered


def bid_throughput(ctx: Context, key: str) -> dict:
    """M1 (one hot auction) and M2 (100 auctions at once): acknowledged bids/s from bidders on
    sockets (each also watching its round, as on the live page), with one more watcher socket per
    auction proving every acknowledged bid is broadcast in order. M1h is M1 over the HTTP
    fallback (`POST /auctions/<id>/bids`), reported beside it."""
    scale = ctx.scale["m1" if key == "m1h" else key]
    transport = "http" if key == "m1h" else "ws"
    n_auctions = scale.get("auctions", 1)
    auctions = []
    for _ in range(n_auctions):
        auction = ctx.seeder.auction()
        auctions.append(ctx.seeder.spec(auction, ctx.seeder.seats(auction, scale["seats"])))
    with serving(ctx, ctx.multi) as (servers, ports):
        targets = [(ports[i % len(ports)], a["id"], None) for i, a in enumerate(auctions)]
        pids = list(servers.daphne_pids)
        # daphne's CPU seconds (with its writer process's) at the start and the end of the load:
        # robust to a busy machine
        cpu = []
        bids, delivered = _bid_load(
            ctx,
            auctions,
            ports,
            transport,
            scale["rate"],
            scale["count"],
            targets,
            on_start=lambda: cpu.append(sum(family_cpu_seconds(p) for p in pids)),
        )
        cpu.append(sum(family_cpu_seconds(p) for p in pids))
    cpu_per_bid_ms = (cpu[1] - cpu[0]) / max(bids["acked"] + bids["refused"], 1) * 1000
    if key == "m1h":
        target, ok = "report", None
    else:
        target = "≥ 1500" if key == "m2" else "≥ 800 and ≥ 0.5 × PG ceiling"
        ok = bids["acked_per_s"] >= (1500 if key == "m2" else 800)
    label = {
        "m1": "M1 one hot auction",
        "m1h": "M1h: M1 over the HTTP fallback",
        "m2": f"M2 {n_auctions} auctions at once",
    }[key]
    over = "HTTP keep-alive" if transport == "http" else "WebSocket (each also watching its round)"
    return {
        "id": _sid(key),
        "title": label,
        "setup": f"{ctx.multi} daphne (a round's bids and sockets on the process its id selects), "
        f"{sum(len(a['seats']) for a in auctions)} bidders over {over}, "
        f"offered {scale['rate']} bids/s × {scale['count'] / scale['rate']:.0f} s",
        "rows": [
            row(
                "acknowledged bids/s",
                target,
                bids["acked_per_s"],
                "bids/s",
                ok=ok,
                ceiling="pg",
                ceiling_min=0.5 if key == "m1" else None,
            ),
            row("bid ack p99 (from scheduled send)", "—", hist.summary_ms(bids["latency"])["p99"], "ms"),
            row("daphne CPU per answered bid (all processes, writer processes included)", "—", cpu_per_bid_ms, "ms"),
            row(
                "acked / refused as too low / unanswered at the limit / sent",
                "—",
                f"{bids['acked']} / {bids['refused']} / {bids['unanswered']} / {bids['sent']}",
                "",
            ),
            row(
                "events delivered to verifying watchers", "all", f"{delivered['delivered']}/{delivered['expected']}", ""
            ),
            row("events per frame at the verifying watchers", "—", delivered["per_frame"], ""),
        ],
        "latency": {f"{_sid(key)} bid ack": hist.encode(bids["latency"])},
        "problems": bids["problems"] + delivered["problems"],
    }


def fanout(ctx: Context, key: str) -> dict:
    """M3: watchers on one auction at 5 bids/s; delivery latency from each bid's acknowledgement."""
    scale = ctx.scale[key]
    daphnes = 2 if key == "m3b" else 1
    auction = ctx.seeder.auction()
    spec = ctx.seeder.spec(auction, ctx.seeder.seats(auction, 4))
    with serving(ctx, daphnes) as (_, ports):
        targets = [(ports[i % daphnes], auction.pk, None) for i in range(scale["watchers"])]
        bids, delivered = _bid_load(ctx, [spec], ports, "ws", scale["rate"], scale["count"], targets)
    summary = hist.summary_ms(delivered["latency"])
    limit_ms = 250 if key == "m3b" else 100
    return {
        "id": _sid(key),
        "title": f"M3 fan-out: {scale['watchers']} watchers on {daphnes} daphne",
        "setup": f"{scale['rate']} bids/s × {scale['count']} bids over WebSocket, one auction",
        "rows": [
            row(
                "delivery p99 from the bid's ack",
                f"≤ {limit_ms} ms",
                summary["p99"],
                "ms",
                ok=summary["p99"] is not None and summary["p99"] <= limit_ms,
            ),
            row("delivery p50 / p99.9 / max", "—", f"{summary['p50']} / {summary['p99_9']} / {summary['p100']}", "ms"),
            row(
                "events delivered",
                "all",
                f"{delivered['delivered']}/{delivered['expected']}",
                "",
                ok=delivered["delivered"] == delivered["expected"] and not delivered["gaps"],
            ),
        ],
        "latency": {f"{_sid(key)} delivery ({scale['watchers']} watchers)": hist.encode(delivered["latency"])},
        "problems": bids["problems"] + delivered["problems"],
    }


def _broadcast_rate(ctx: Context, ports: list[int], auction: dict, on_start=None) -> dict:
    """Offers more events than one process can deliver to M4's watchers; deliveries/s received."""
    scale = ctx.scale["m4"]
    targets = [(ports[0], auction["id"], None) for _ in range(scale["watchers"])]
    duration = scale["count"] / scale["rate"]
    phase = Phase(time_limit=duration + 120)
    n = _bidders(phase, [auction], ports, "ws", scale["rate"], scale["count"], deadline_s=duration + 20)
    _watchers(phase, targets, deadline_s=duration + 90)
    bidder_results, watcher_results = _drive(phase, n, drain_s=20, on_start=on_start)
    bids = measure.bids(bidder_results, strict=ctx.smoke)
    delivered = measure.deliveries(watcher_results, bids["ack_time"], bids["final_seq"], strict=ctx.smoke)
    t0 = min(r["t0"] for r in bidder_results)
    elapsed = max((delivered["last_recv"] or t0) - t0, 1e-9)
    return {
        "per_s": delivered["delivered"] / elapsed,
        "complete": delivered["delivered"] == delivered["expected"],
        "delivered": delivered,
        "bids": bids,
    }


def bare_ceiling(ctx: Context) -> dict:
    """Ceiling (b): the bare `websockets` broadcast server under M4's exact load."""
    import subprocess
    import sys

    from tests.servers import wait_for_port

    port = free_port()
    log = open(ctx.log_dir / "bare.log", "ab")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "bench.ceilings", str(port)], stdout=log, stderr=log)
    log.close()
    try:
        wait_for_port(port, server)
        seats = [{"session": "", "csrf": ""} for _ in range(ctx.scale["m4"]["seats"])]
        result = _broadcast_rate(ctx, [port], {"id": 1, "start": "1.00", "increment": "1.00", "seats": seats})
    finally:
        server.terminate()
        server.wait(10)
    return {
        "per_s": result["per_s"],
        "latency": result["delivered"]["latency"],
        "problems": [] if result["complete"] or not ctx.smoke else ["bare broadcast did not deliver every event"],
    }


def deliveries_per_process(ctx: Context) -> dict:
    """M4: event deliveries/s one daphne process sustains, offered more than it can take."""
    scale = ctx.scale["m4"]
    auction = ctx.seeder.auction()
    spec = ctx.seeder.spec(auction, ctx.seeder.seats(auction, scale["seats"]))
    with serving(ctx, 1) as (servers, ports):
        pid = servers.daphne_pids[0]
        cpu_at_start = []
        result = _broadcast_rate(ctx, ports, spec, on_start=lambda: cpu_at_start.append(cpu_seconds(pid)))
        cpu = cpu_seconds(pid) - cpu_at_start[0]  # the bidding and fan-out only, not the connects
    delivered = result["delivered"]
    problems = result["bids"]["problems"] + delivered["problems"]
    return {
        "id": "M4",
        "title": "M4 deliveries per process",
        "setup": f"1 daphne, {scale['watchers']} watchers, offered {scale['rate']} bids/s × {scale['count']} bids "
        f"= {scale['rate'] * scale['watchers']:,} deliveries/s",
        "rows": [
            row(
                "event deliveries/s",
                "≥ 20,000 and ≥ 0.5 × bare ceiling",
                result["per_s"],
                "deliveries/s",
                ok=result["per_s"] >= 20_000,
                ceiling="bare",
                ceiling_min=0.5,
            ),
            row(
                "server CPU per delivery (bids' own cost included)",
                "—",
                cpu / max(delivered["deliveries_total"], 1) * 1e6,
                "µs",
            ),
            row("delivered within the time limit", "—", f"{delivered['delivered']}/{delivered['expected']}", ""),
        ],
        "latency": {"M4 delivery at saturation": hist.encode(delivered["latency"])},
        "problems": problems,
    }


# M5/M6 measure memory, not connect speed (M7 does): the connect phase may take this long, so
# that a busy machine's slow signed-in connects do not leave sockets out of the measurement.
IDLE_CONNECT_TIMEOUT_S = 180


def _hold_watchers(ctx: Context, targets: list[tuple], on_connected) -> tuple[dict, list]:
    phase = Phase(time_limit=IDLE_CONNECT_TIMEOUT_S + 240)
    _watchers(phase, targets, deadline_s=200, connect_timeout_s=IDLE_CONNECT_TIMEOUT_S)
    try:
        ready = phase.launch()
        measured = on_connected(ready)
        phase.go(0)
        phase.stop({})
        results = phase.collect()
    finally:
        phase.abort()
    return measured, results


def idle_memory(ctx: Context, signed_in: bool) -> dict:
    """M5 (anonymous) / M6 (signed-in bidders): RSS growth of one daphne per idle watcher socket."""
    n = ctx.scale["m5"]["watchers"]
    auction = ctx.seeder.auction()
    sessions = ctx.seeder.watcher_sessions(n) if signed_in else [None] * n
    with serving(ctx, 1, clock=False) as (servers, ports):
        pid = servers.daphne_pids[0]
        _hold_watchers(ctx, [(ports[0], auction.pk, sessions[0])], lambda _: None)  # warm: imports, first query
        before = rss_bytes(pid)
        targets = [(ports[0], auction.pk, s) for s in sessions]
        (after, connect_s), results = _hold_watchers(
            ctx, targets, lambda ready: (rss_bytes(pid), max(r.get("connect_s", 0.0) for r in ready))
        )
    connected = sum(r["snapshots"] for r in results)
    per_socket_kb = (after - before) / max(connected, 1) / 1024
    key = "M6" if signed_in else "M5"
    problems = [] if connected == n else [f"{key}: only {connected} of {n} watchers connected"]
    return {
        "id": key,
        "title": f"{key} idle watchers ({'signed-in bidders' if signed_in else 'anonymous'})",
        "setup": f"1 daphne, {n} sockets on one auction, RSS before/after: {before >> 20} / {after >> 20} MiB",
        "rows": [
            row("memory per idle socket", "≤ 30 kB", per_socket_kb, "kB", ok=per_socket_kb <= 30),
            row("sockets connected with snapshot", f"{n}", connected, "", ok=connected == n),
            row(f"connect phase (limit {IDLE_CONNECT_TIMEOUT_S} s)", "—", connect_s, "s"),
        ],
        "latency": {},
        "problems": problems,
    }


def connect_burst(ctx: Context) -> dict:
    """M7: watchers connecting at a scheduled rate; all must hold their snapshot within 5 s."""
    scale = ctx.scale["m7"]
    n = scale["watchers"]
    auction = ctx.seeder.auction()
    with serving(ctx, 1, clock=False) as (_, ports):
        phase = Phase(time_limit=120)
        _watchers(phase, [(ports[0], auction.pk, None)] * n, deadline_s=60, connect_rate=scale["connect_rate"])
        try:
            phase.launch()
            t0 = phase.go()
            window_end = t0 + n / scale["connect_rate"] + 10  # the 5 s of the target, and more
            for _ in phase.processes:
                with contextlib.suppress(queue.Empty):
                    phase.ready.get(timeout=max(window_end - time.time(), 0.1))
            phase.stop({})
            results = phase.collect()
        finally:
            phase.abort()
    failures = [r["crashed"] for r in results if "crashed" in r]
    if failures:
        raise RuntimeError("\n".join(failures))
    snapshots = sum(r["snapshots"] for r in results)
    last = max(r["last_snapshot"] for r in results)
    all_in_s = last - t0 if snapshots == n else float("inf")
    latency = hist.merge([r["snapshot_latency"] for r in results])
    problems = [] if snapshots == n else [f"M7: {n - snapshots} of {n} watchers got no snapshot"]
    return {
        "id": "M7",
        "title": f"M7 {n} watchers connect",
        "setup": f"1 daphne, connects scheduled at {scale['connect_rate']}/s",
        "rows": [
            row("time until every watcher has its snapshot", "≤ 5 s", all_in_s, "s", ok=all_in_s <= 5),
            row("connect → snapshot p99", "—", hist.summary_ms(latency)["p99"], "ms"),
            row("watchers with snapshot", f"{n}", snapshots, "", ok=snapshots == n),
        ],
        "latency": {"M7 connect→snapshot": hist.encode(latency)},
        "problems": problems,
    }


def close_lag(ctx: Context) -> dict:
    """M8: rounds ending while M1-like bidding runs elsewhere; lag = closed event received − ends_at."""
    from django.db import connection

    from auctions.models import Auction

    scale = ctx.scale["m8"]
    hot = ctx.seeder.auction()
    hot_spec = ctx.seeder.spec(hot, ctx.seeder.seats(hot, scale["seats"]))
    with serving(ctx, ctx.multi) as (_, ports):
        # Created once the servers and the clock run, ending after the watchers have connected:
        # the lag is the clock's and the broadcast's, not the servers' start-up.
        closing = [
            ctx.seeder.auction(ends_in=timedelta(seconds=scale["lead_s"] + i * scale["stagger_s"]))
            for i in range(scale["auctions"])
        ]
        connection.close()
        ends = {a.pk: a.ends_at.timestamp() for a in closing}
        last_end = max(ends.values())
        count = int(max(last_end - time.time() + 2, 1) * scale["rate"])
        targets = [(ports[i % len(ports)], pk, None) for i, pk in enumerate(ends)]
        phase = Phase(time_limit=count / scale["rate"] + 120)
        n = _bidders(phase, [hot_spec], ports, "ws", scale["rate"], count, deadline_s=count / scale["rate"] + 10)
        _watchers(phase, targets, deadline_s=count / scale["rate"] + 60)
        early = []
        bidder_results, watcher_results = _drive(
            phase, n, drain_s=10, until_closed=True, on_start=lambda: early.append(time.time() >= min(ends.values()))
        )
    bids = measure.bids(bidder_results, strict=ctx.smoke)
    closed_at = {pk: when for r in watcher_results for pk, when, _ in r["closed"]}
    final = Auction.objects.filter(pk__in=ends).values_list("pk", "ends_at", "status")
    ends = {pk: ends_at.timestamp() for pk, ends_at, _ in final}  # as the server finally had them
    statuses = {pk: status for pk, _, status in final}
    lags = [closed_at[pk] - end for pk, end in ends.items() if pk in closed_at]
    problems = list(bids["problems"])
    if early[0]:
        problems.append("M8: a round ended before the watchers had connected: raise lead_s")
    if len(lags) < len(ends):
        problems.append(f"M8: {len(ends) - len(lags)} of {len(ends)} closing rounds sent no closed event in time")
    worst = max(lags) if len(lags) == len(ends) else float("inf")
    latency = hist.new()
    for lag in lags:
        hist.record_seconds(latency, lag)
    return {
        "id": "M8",
        "title": "M8 close lag under load",
        "setup": f"{len(ends)} rounds ending {scale['stagger_s']} s apart while {scale['rate']} bids/s go to "
        f"another auction (acked {bids['acked_per_s']:.0f}/s); final statuses {sorted(set(statuses.values()))}",
        "rows": [
            row("worst close lag (closed event − ends_at)", "≤ 1 s", worst, "s", ok=worst <= 1),
            row("median close lag", "—", sorted(lags)[len(lags) // 2] if lags else None, "s"),
        ],
        "latency": {"M8 close lag": hist.encode(latency)},
        "problems": problems,
    }


def page_weight(ctx: Context) -> dict:
    """Issue 9: bytes the live lot page transfers (HTML + CSS + JS, compressed as served)."""
    auction = ctx.seeder.public_auction()
    gzipped: list[int] = []  # what each body would weigh gzip-compressed (level 9)

    async def fetch_all(port: int) -> list[tuple[str, int, int, str]]:
        conn = HttpConnection(HOST, port)
        headers = {"Accept-Encoding": "gzip, br", "Accept-Language": "zh-hans"}
        status, head, html = await conn.request("GET", f"/auctions/{auction.pk}/", headers=headers)
        fetched = [(f"/auctions/{auction.pk}/", status, len(html), head.get("content-encoding", "identity"))]
        gzipped.append(len(gzip.compress(_decoded(html, head))))
        text = _decoded(html, head).decode("utf-8", "replace")
        assets = re.findall(r'<link[^>]+href="([^"]+\.css[^"]*)"', text) + re.findall(
            r'<script[^>]+src="([^"]+\.js[^"]*)"', text
        )
        for path in dict.fromkeys(a for a in assets if a.startswith("/")):
            status, head, body = await conn.request("GET", path, headers=headers)
            fetched.append((path, status, len(body), head.get("content-encoding", "identity")))
            gzipped.append(len(gzip.compress(_decoded(body, head))))
        conn.close()
        return fetched

    with serving(ctx, 1, clock=False) as (_, ports):
        fetched = asyncio.run(fetch_all(ports[0]))
    total = sum(size for _, status, size, _ in fetched if status == 200)
    problems = [f"{path} answered {status}" for path, status, _, _ in fetched if status != 200]
    return {
        "id": "PAGE",
        "title": "Live lot page weight (issue 9)",
        "setup": "; ".join(f"{p} {s} B {enc}" for p, _, s, enc in fetched),
        "rows": [
            row("transferred bytes (HTML + CSS + JS bodies, as served)", "report", total, "B"),
            row("the same bodies if served gzip-compressed", "report", sum(gzipped), "B"),
        ],
        "latency": {},
        "problems": problems,
    }


def _decoded(body: bytes, headers: dict) -> bytes:
    return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
