#!/usr/bin/python3
"""The SMTP sink of Tests/Benchmarks/failover-bench.sh (aiosmtpd, Debian python3-aiosmtpd).

    bench_smtp_sink.py --address ADDRESS --port PORT --dir OUT

Accepts every message, without TLS or AUTH (the agents send with `starttls: "off"` on the
lab's network). For every message it writes OUT/NNNN.eml (the DATA as received) and appends
one line to OUT/arrivals.log, flushed at once:

    TIME<TAB>NNNN<TAB>MAIL FROM<TAB>SUBJECT

TIME (seconds since the Unix epoch, the host's clock, microseconds) is taken when the whole
DATA has arrived, just before the sink answers 250: the moment the message is accepted.
Prints "READY <port>" on stdout once it accepts connections.
"""
import argparse
import email.header
import email.parser
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


def subject_of(data):
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    raw = headers.get("Subject", "")
    parts = []
    for text, charset in email.header.decode_header(raw):
        parts.append(text.decode(charset or "utf-8", "replace") if isinstance(text, bytes) else text)
    return " ".join("".join(parts).split())


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()
        self.log = open(os.path.join(directory, "arrivals.log"), "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        data = envelope.original_content or envelope.content
        with self.lock:
            self.count += 1
            number = self.count
            with open(os.path.join(self.directory, "%04d.eml" % number), "wb") as out:
                out.write(data)
            self.log.write("%.6f\t%04d\t%s\t%s\n" % (arrived, number, envelope.mail_from, subject_of(data)))
            self.log.flush()
        return "250 OK: queued as %04d" % number


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname=args.address, port=args.port,
                            server_hostname="sink.example.org")
    controller.start()
    print("READY %d" % args.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
