"""A local HTTP target for the benchmarks: answers every POST with 200 and counts them.

.venv/bin/python -m bench.stub --port 8765      # GET /count → {"posts": n}
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_posts = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: The headers and the body go out in two writes: with Nagle's algorithm the body waited for
    #: the client's delayed ACK of the headers, 40 ms per request on this kernel.
    disable_nagle_algorithm = True

    def _answer(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        global _posts
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _lock:
            _posts += 1
        self._answer({"ok": True})

    def do_GET(self) -> None:
        self._answer({"posts": _posts})

    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> None:
    parser = argparse.ArgumentParser(description="local HTTP target")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
