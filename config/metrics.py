"""Prometheus metrics of this process. Each daphne process and worker exposes its own."""

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

BID_LATENCY = Histogram(
    "auction_bid_seconds",
    "Time from a bid's receipt by the server to its answer (ack after commit, or refusal).",
    ["transport", "outcome"],
    buckets=LATENCY_BUCKETS,
)
BID_COMMIT = Histogram(
    "auction_bid_commit_seconds",
    "Time the bid writer spends deciding and committing one batch of bids on one round.",
    buckets=LATENCY_BUCKETS,
)
BID_BATCH = Histogram(
    "auction_bid_batch_size",
    "Bids decided together in one transaction by the bid writer.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
FANOUT = Histogram(
    "auction_fanout_seconds",
    "Time to write one event to every socket of its round in this process.",
    buckets=LATENCY_BUCKETS,
)
BIDS = Counter("auction_bids_total", "Bids decided, by outcome (accepted or an error code).", ["outcome"])
SOCKETS = Gauge("auction_websockets", "Open auction WebSocket connections in this process.")
DELIVERIES = Counter("auction_event_deliveries_total", "Event frames written to sockets by this process.")
CLOCK_TICKS = Counter("auction_clock_ticks_total", "Auction clock loop iterations.")


def observe_bid(transport: str, outcome: str, seconds: float) -> None:
    """One answered bid: its receive → answer latency and its outcome ("accepted" or the error code)."""
    BID_LATENCY.labels(transport, outcome).observe(seconds)
    BIDS.labels(outcome).inc()
