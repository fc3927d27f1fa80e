"""HTTP bids (`POST /auctions/<id>/bids`) through Django's synchronous request handler, on a small
fixed pool of threads: one thread hop per bid.

Why (docs/benchmarks.md, "What each change bought"): Django's ASGI handler gives every request a
thread of its own and runs each synchronous middleware hook through a hop between the event loop
and that thread. Profiled under M1, those hops, not the bid, took most of daphne's CPU. Here the
bid request is handed once to a pool thread that runs the whole synchronous stack — every
configured middleware (sessions, authentication, CSRF, language, security headers), URL
resolution and `bidding.views.place_bid` — exactly as a WSGI server would run it. The view hands
the bid to the process's bid writer (bidding/writer.py) and waits for the answer after commit.
Every other request takes Django's ASGI handler as before.
"""

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.urls import set_script_prefix

BID_PATH = re.compile(r"^/auctions/[0-9]+/bids$")
THREADS = int(os.environ.get("HTTP_BID_THREADS", "16"))  # bids waiting for the writer, per process


class SyncBidHandler(BaseHandler):
    """Django's request handler in synchronous mode (the middleware chain as WSGI loads it)."""

    def __init__(self):
        super().__init__()
        self.load_middleware(is_async=False)


class HttpBids:
    """ASGI application: bid POSTs as described above, everything else to `inner`."""

    def __init__(self, inner: ASGIHandler, threads: int = THREADS):
        self.inner = inner
        self.threads = threads
        self._handler: SyncBidHandler | None = None
        self._pool: ThreadPoolExecutor | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not BID_PATH.match(scope.get("path", "")):
            return await self.inner(scope, receive, send)
        try:
            body_file = await self.inner.read_body(receive)
        except RequestAborted:
            return
        try:
            if self._pool is None:
                self._handler = SyncBidHandler()
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="http-bids")
            response = await asyncio.get_running_loop().run_in_executor(self._pool, self._respond, scope, body_file)
            await self.inner.send_response(response, send)
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        """In a pool thread: the request through the synchronous stack, as WSGIHandler does it."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.inner.__class__, scope=scope)
        request, response = self.inner.create_request(scope, body_file)
        if request is not None:
            response = self._handler.get_response(request)
        response._handler_class = self.inner.__class__
        response.close()  # request_finished: this thread's database connection goes back
        return response
