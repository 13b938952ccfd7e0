#!/usr/bin/python3
"""HTTP(S) server for the check tests, on 127.0.0.1 and a free port.

Prints the port on the first line of stdout, then serves until its stdin closes (so it
never outlives the test process that started it). With --tls CERT KEY it speaks HTTPS.

Paths:
  /full       200, the 1234-byte page
  /truncated  200, the first 512 bytes of the page, Content-Length 512
  /cut        200, Content-Length 1234 but the connection closes after 512 bytes
  /error      500
  /slow       the full page after 5 seconds
  /hang       no answer for 120 seconds
  /method     200, the body is the request method
  /token      200 with header `X-Check-Token: sesame`, 403 without
  /connections 200, the body is how many connections the server has accepted so far
"""
import http.server
import os
import ssl
import sys
import threading
import time

PAGE_SIZE = 1234
HEAD = b"<!doctype html><html><head><title>Le Vacataire</title></head><body><p>service up</p>"
TAIL = b"</body></html>\n"
PAGE = HEAD + b"." * (PAGE_SIZE - len(HEAD) - len(TAIL)) + TAIL
assert len(PAGE) == PAGE_SIZE


CONNECTIONS = 0
COUNT_LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global CONNECTIONS
        with COUNT_LOCK:
            CONNECTIONS += 1
        super().setup()

    def log_message(self, format, *args):
        pass

    def answer(self, status, body, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()

    def route(self):
        try:
            path = self.path.split("?")[0]
            if path == "/full":
                self.answer(200, PAGE)
            elif path == "/truncated":
                self.answer(200, PAGE[:512])
            elif path == "/cut":
                self.answer(200, PAGE[:512], length=PAGE_SIZE)
                self.close_connection = True
            elif path == "/error":
                self.answer(500, b"internal error\n")
            elif path == "/slow":
                time.sleep(5)
                self.answer(200, PAGE)
            elif path == "/hang":
                time.sleep(120)
                self.answer(200, PAGE)
            elif path == "/connections":
                with COUNT_LOCK:
                    count = CONNECTIONS
                self.answer(200, str(count).encode())
            elif path == "/method":
                self.answer(200, self.command.encode())
            elif path == "/token":
                ok = self.headers.get("X-Check-Token") == "sesame"
                self.answer(200 if ok else 403, b"ok\n" if ok else b"forbidden\n")
            else:
                self.answer(404, b"not found\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    do_GET = route
    do_HEAD = route
    do_POST = route


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
