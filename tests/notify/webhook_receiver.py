#!/usr/bin/python3
"""HTTP webhook receiver for the notification tests.

Listens on 127.0.0.1 at a free port, prints "http://127.0.0.1:<port>/" once ready, then one JSON
line per request: {"signature_ok", "status", "message_id", "body"}. It checks X-BTMS-Signature
(sha256=<hex HMAC-SHA256 of the raw body with SECRET>) in constant time and answers 401 when it
is wrong. Usage: webhook_receiver.py SECRET [FAIL_FIRST_N [PORT]] -- the first N requests get
503; PORT (default: a free one) lets a test bring a receiver up where a dead one was.
"""
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1].encode()
FAIL_FIRST = int(sys.argv[2]) if len(sys.argv) > 2 else 0
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = 0
# Requests are handled on several threads: one lock keeps each output line whole.
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        with lock:
            seen += 1
            number = seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, self.headers.get("X-BTMS-Signature", ""))
        status = 503 if number <= FAIL_FIRST else (200 if ok else 401)
        line = json.dumps({"signature_ok": ok, "status": status,
                           "message_id": self.headers.get("X-BTMS-Message-Id", ""),
                           "body": json.loads(body.decode("utf-8"))})
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
server.serve_forever()
