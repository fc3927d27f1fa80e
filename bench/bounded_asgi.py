"""An experiment, not the production configuration: the project's ASGI application with at most
BENCH_HTTP_CONCURRENCY (default 4) HTTP requests in flight per daphne process.

It was written when Django's ASGI handler ran every bid in a thread of its own, so an open-loop
burst became hundreds of threads contending for one row lock and the GIL (M1x bought 8× then).
Bid POSTs now run on a fixed pool of 16 threads per process and are decided in batches by the
process's bid writer (bidding/http_bids.py, bidding/writer.py); M1x now shows what a tighter bound
on top of that does (smaller batches, fewer requests waiting inside the server).
"""

import asyncio
import os

from config.asgi import application as project_application

LIMIT = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "4"))
_gate: asyncio.Semaphore | None = None


async def application(scope, receive, send):
    global _gate
    if scope["type"] != "http":
        return await project_application(scope, receive, send)
    if _gate is None:
        _gate = asyncio.Semaphore(LIMIT)
    async with _gate:
        return await project_application(scope, receive, send)
