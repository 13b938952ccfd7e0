#!/usr/bin/python3
"""A real SMTP server for Le Vacataire's tests and demo, built on aiosmtpd.

Every accepted message is written to OUT/NNNN.eml (the DATA exactly as received) with
OUT/NNNN.json beside it (envelope sender, recipients, and whether the session was TLS
and authenticated). Prints "READY <port>" on stdout once it accepts connections.

    smtp_sink.py --dir OUT [--port N] [--tls-cert C --tls-key K [--require-starttls | --smtps]]
                 [--auth USER:PASSWORD] [--reject-rcpt ADDRESS]

--smtps speaks TLS from the first byte (implicit TLS, as on port 465) instead of offering
STARTTLS.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, reject):
        self.directory = directory
        self.reject = reject
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            stem = os.path.join(self.directory, "%04d" % self.count)
        with open(stem + ".eml.tmp", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(stem + ".json", "w") as out:
            json.dump(meta, out)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return "250 OK: queued as %04d" % self.count


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--reject-rcpt", action="append", default=[])
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
    controller = Controller(Sink(args.dir, set(args.reject_rcpt)), hostname="127.0.0.1", port=port,
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
