"""ASGI entry point: HTTP through Django, WebSockets through Channels (see bidding/routing.py).
Bid POSTs take Django's synchronous handler on a fixed thread pool (bidding/http_bids.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from bidding.http_bids import HttpBids  # noqa: E402
from bidding.routing import websocket_urlpatterns  # noqa: E402
from bidding.socket_auth import SocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": HttpBids(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(SocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

from auctions.outage import start_web_heartbeat  # noqa: E402

start_web_heartbeat()  # FA7: under daphne, tells the clock worker that bids can be accepted

from bidding.writer import the_writer  # noqa: E402

the_writer().start()  # a writer process takes a second to start: started with the server, not at the first bid

from config.collector import tune_collector  # noqa: E402

tune_collector()
