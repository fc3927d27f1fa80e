"""Bounded benchmark suite: bidding throughput and live fan-out against the machine's own ceilings.

`python -m bench.run` (make bench) writes bench/results.md and bench/latency.svg; `--smoke` runs
tiny versions that assert correctness only. docs/benchmarks.md explains the method.
"""
