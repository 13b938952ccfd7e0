#!/usr/bin/python3
"""A real SMTP server for Le Vacataire's tests, demo and benchmark, built on aiosmtpd.

Every accepted message is written to OUT/NNNN.eml (the DATA exactly as received) with
OUT/NNNN.json beside it (envelope sender, recipients, and whether the session was TLS
and authenticated). Prints "READY <port>" on stdout once it accepts connections.

    smtp_sink.py --dir OUT [--address A] [--port N] [--tls-cert C --tls-key K [--require-starttls | --smtps]]
                 [--auth USER:PASSWORD] [--reject-rcpt ADDRESS] [--arrivals]

--arrivals also appends one line per message to OUT/arrivals.log, flushed at once, for
Tests/Benchmarks/failover-bench.sh:

    TIME<TAB>NNNN<TAB>MAIL FROM<TAB>SUBJECT

TIME (seconds since the Unix epoch, the host's clock, microseconds) is taken when the whole
DATA has arrived, before the sink answers 250: the moment the message is accepted.

--smtps speaks TLS from the first byte (implicit TLS, as on port 465) instead of offering
STARTTLS.
"""
import argparse
import email.header
import email.parser
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def subject_of(data):
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    parts = []
    for text, charset in email.header.decode_header(headers.get("Subject", "")):
        parts.append(text.decode(charset or "utf-8", "replace") if isinstance(text, bytes) else text)
    return " ".join("".join(parts).split())


class Sink:
    def __init__(self, directory, reject, arrivals):
        self.directory = directory
        self.reject = reject
        self.count = 0
        self.lock = threading.Lock()
        self.arrivals = open(os.path.join(directory, "arrivals.log"), "a", buffering=1) if arrivals else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        data = envelope.original_content or envelope.content
        with self.lock:
            self.count += 1
            number = self.count
            stem = os.path.join(self.directory, "%04d" % number)
            if self.arrivals:
                self.arrivals.write("%.6f\t%04d\t%s\t%s\n" % (arrived, number, envelope.mail_from, subject_of(data)))
        with open(stem + ".eml.tmp", "wb") as out:
            out.write(data)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(stem + ".json", "w") as out:
            json.dump(meta, out)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return "250 OK: queued as %04d" % number


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--arrivals", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    options = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.smtps:
            options["ssl_context"] = context
        else:
            options["tls_context"] = context
            options["require_starttls"] = args.require_starttls
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            # handled=False: aiosmtpd itself answers a failure with 535.
            return AuthResult(success=ok, handled=False)

        options["authenticator"] = authenticator
        options["auth_required"] = True
        options["auth_require_tls"] = bool(args.tls_cert)

    port = args.port or free_port()
    controller = Controller(Sink(args.dir, set(args.reject_rcpt), args.arrivals), hostname=args.address, port=port,
                            server_hostname="sink.example.org", **options)
    controller.start()
    print("READY %d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
