"""A webhook receiver on loopback, run as its own process by the tests: checks every delivery with the
`standardwebhooks` library from PyPI and writes one JSON line per request it received.

python receiver.py PORT LOG_FILE SECRET[,SECRET...] BEHAVIOUR [ARG]  (`verified`: one flag per secret)
  ok                 answer 204
  fail-first N       answer 500 to the first N requests of each webhook-id, then 204
  hang-first S       hold the first request of each webhook-id S seconds before answering 204
  slow S             hold every request S seconds
  redirect URL       answer 307 to URL
  huge               answer 200 with an endless body (1 GB announced)
  fail-random P      answer 500 with probability P, else 204 (`ok` in the log line says which)
"""

from __future__ import annotations

import base64
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, LOG, SECRET, BEHAVIOUR = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ARG = sys.argv[5] if len(sys.argv) > 5 else ""
seen: dict[str, int] = {}
guard = threading.Lock()


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class Receiver(BaseHTTPRequestHandler):
    # Keep-alive, as real receivers do: a worker reuses its connections (every answer says its length).
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified = [_verifies(secret, body, headers) for secret in SECRET.split(",")]
        message_id = headers.get("webhook-id", "")
        failing = BEHAVIOUR == "fail-random" and random.random() < float(ARG)
        with guard:
            seen[message_id] = seen.get(message_id, 0) + 1
            count = seen[message_id]
            with open(LOG, "a", encoding="utf-8") as log:
                record = {
                    "id": message_id,
                    "n": count,
                    "verified": verified,
                    "signatures": headers.get("webhook-signature", ""),
                    "timestamp": headers.get("webhook-timestamp", ""),
                    "body": base64.b64encode(body).decode(),
                    "at": time.time(),
                    "ok": not failing,
                }
                log.write(json.dumps(record) + "\n")
        self.answer(count, failing)

    def answer(self, count: int, failing: bool) -> None:
        if failing or (BEHAVIOUR == "fail-first" and count <= int(ARG)):
            self.send_response(500)
            self.send_header("content-length", "0")
            self.end_headers()
        elif BEHAVIOUR == "redirect":
            self.send_response(307)
            self.send_header("location", ARG)
            self.send_header("content-length", "0")
            self.end_headers()
        elif BEHAVIOUR == "huge":
            self.send_response(200)
            self.send_header("content-length", str(10**9))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(10**9 // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                return  # the worker stopped reading, as it should
        else:
            if BEHAVIOUR == "slow" or (BEHAVIOUR == "hang-first" and count == 1):
                time.sleep(float(ARG))
            self.send_response(204)
            self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
