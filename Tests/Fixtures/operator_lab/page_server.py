#!/usr/bin/python3
"""The operator lab's web service: one page of exactly 4096 bytes saying which node serves.

    page_server.py NAME PORT CONTROL_DIR

While CONTROL_DIR/NAME.truncate exists, the page is cut to 1024 bytes (status 200 and a
matching Content-Length: a truncated page, as the seed's content check must catch).
Every request gets `Connection: close`.
"""
import http.server
import socket
import os
import sys

FULL = 4096
TRUNCATED = 1024


def page(name, size):
    head = ("served by %s\n" % name).encode()
    return (head + b"." * FULL)[:size]


def main():
    name, port, control = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    marker = os.path.join(control, name + ".truncate")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page(name, TRUNCATED if os.path.exists(marker) else FULL)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments):
            pass

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer.daemon_threads = True
    # socketserver's default accept queue is 5 connections: a busy second (checks, samplers,
    # the load balancer) filled it and the kernel dropped SYNs, which the node's own http
    # check read as "Connection timed out". Web servers listen with 511 (nginx) or more.
    http.server.ThreadingHTTPServer.request_queue_size = 511
    # Both families on one socket (a floating IPv6 address is served too), IPv4 alone
    # where the host has no IPv6.
    class DualStackServer(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    try:
        server = DualStackServer(("::", port), Handler)
    except OSError:
        server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
