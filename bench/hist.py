"""Latency histograms in microseconds (HDR), encoded to cross process boundaries and merged."""

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 600_000_000  # ten minutes: anything slower is clamped, never dropped
DIGITS = 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9, 100.0)


def new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_seconds(histogram: HdrHistogram, seconds: float) -> None:
    """Records a latency; a negative one (an event overtaking its own ack) counts as zero."""
    micros = int(seconds * 1_000_000)
    histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


def encode(histogram: HdrHistogram) -> bytes:
    return histogram.encode()


def merge(encoded: list[bytes]) -> HdrHistogram:
    total = new()
    for blob in encoded:
        if blob:
            total.add(HdrHistogram.decode(blob))
    return total


def summary_ms(histogram: HdrHistogram) -> dict:
    """{"count": n, "p50": ms, …, "p100": ms} (empty histograms give None values)."""
    count = histogram.get_total_count()
    out: dict = {"count": count}
    for p in PERCENTILES:
        key = "p" + (f"{p:g}").replace(".", "_")
        out[key] = round(histogram.get_value_at_percentile(p) / 1000, 2) if count else None
    return out
