"""A local HTTP server standing in for a team's receiver of outbound events."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats); a 3xx answer
    carries ``Location: http://elsewhere.example/``. Keeps each request's headers and raw body."""

    def __init__(self, statuses=(200,), port: int = 0):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.received = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = owner.statuses.pop(0) if len(owner.statuses) > 1 else owner.statuses[0]
                owner.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://elsewhere.example/")
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"no")
                owner.received.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/surveys"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
