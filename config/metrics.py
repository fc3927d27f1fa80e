"""Prometheus metrics of this process. Each daphne process and worker exposes its own."""

from prometheus_client import Counter, Gauge, Histogram

BID_LATENCY = Histogram(
    "auction_bid_seconds",
    "Time from a bid's receipt to its committed decision.",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BIDS = Counter("auction_bids_total", "Bids decided, by outcome (accepted or an error code).", ["outcome"])
SOCKETS = Gauge("auction_websockets", "Open auction WebSocket connections in this process.")
DELIVERIES = Counter("auction_event_deliveries_total", "Event frames written to sockets by this process.")
CLOCK_TICKS = Counter("auction_clock_ticks_total", "Auction clock loop iterations.")
