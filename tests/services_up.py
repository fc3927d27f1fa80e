"""Exit 0 when both PostgreSQL and Redis answer at the given URLs (used by `make test`)."""

import socket
import sys
from urllib.parse import urlsplit


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    sys.exit(0 if reachable(pg_url, 5432) and reachable(redis_url, 6379) else 1)
