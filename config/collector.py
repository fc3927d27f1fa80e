"""Python's cyclic garbage collector, tuned for the processes that serve bids: daphne and its
writer process (docs/benchmarks.md, "the seventh round")."""

import gc

# The youngest generation is collected after this many new container objects rather than 700:
# a hot round makes thousands a second that die young (frames, events, model rows), and every
# collection promoted some of them until a full collection, tens of milliseconds long, walked
# every socket's objects in the middle of a loop turn.
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Call once the process has loaded what it serves with: what exists then (Django, the apps,
    Twisted) lives as long as the process, so no collection walks it again."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
