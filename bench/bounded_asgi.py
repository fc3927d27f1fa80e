"""An experiment, not the production configuration: the project's ASGI application with at most
BENCH_HTTP_CONCURRENCY (default 4) HTTP requests in flight per daphne process.

Django runs each HTTP request's sync view in a thread of its own, with a database connection of
its own, so an open-loop burst of bids over HTTP becomes hundreds of threads contending for one
row lock and the GIL (and for PostgreSQL's max_connections). Scenario M1x runs M1 against this
wrapper to measure what bounding the concurrency would buy.
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
