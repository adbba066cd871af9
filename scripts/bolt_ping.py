"""Exit 0 if a Bolt server answers at the given URI (used by scripts/test.sh)."""

import socket
import sys
from urllib.parse import urlparse

uri = urlparse(sys.argv[1] if len(sys.argv) > 1 else "bolt://127.0.0.1:7687")
try:
    with socket.create_connection((uri.hostname or "127.0.0.1", uri.port or 7687), timeout=2):
        pass
except OSError:
    sys.exit(1)
