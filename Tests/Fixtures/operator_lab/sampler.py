#!/usr/bin/python3
"""The operator lab's sampler, run in the lb host's namespace: what the load balancer sees.

    sampler.py OUT PERIOD_MS MAX_SECONDS NAME=URL ...

Every PERIOD_MS it GETs every URL at once (one thread each, 500 ms timeout) and appends one
line to OUT: `TIME NAME=STATUS/BYTES/WHO ...`, TIME in seconds since the Unix epoch,
STATUS 0 when there was no HTTP answer (WHO then says why: refused, timeout, reset...),
WHO the node the page says served it ("served by alpha" -> alpha). An agent://HOST:PORT
target is an agent-check port: STATUS 0 and WHO the first word of its line (up, down,
maint) or why there was none. It stops on SIGTERM or
after MAX_SECONDS, whichever comes first.
"""
import concurrent.futures
import signal
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

TIMEOUT = 0.5


def probe(url):
    parts = urlsplit(url)
    if parts.scheme == "agent":
        return agent_check(parts)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=TIMEOUT) as sock:
            sock.settimeout(TIMEOUT)
            sock.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (parts.path or "/", parts.netloc)).encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except ConnectionRefusedError:
        return "0/0/refused"
    except ConnectionResetError:
        return "0/0/reset"
    except socket.timeout:
        return "0/0/timeout"
    except OSError as error:
        return "0/0/%s" % (error.strerror or "error").replace(" ", "-").replace("/", "-").lower()
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "0/%d/garbled" % len(data)
    who = "-"
    if body.startswith(b"served by "):
        who = body[len(b"served by "):].split(b"\n", 1)[0].decode(errors="replace") or "-"
    return "%d/%d/%s" % (status, len(body), who)


def agent_check(parts):
    """HAProxy's agent-check: connect, read the agent's line (`up ready #active`)."""
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
            sock.settimeout(TIMEOUT)
            data = b""
            while b"\n" not in data:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                data += chunk
    except ConnectionRefusedError:
        return "0/0/refused"
    except socket.timeout:
        return "0/0/timeout"
    except OSError as error:
        return "0/0/%s" % (error.strerror or "error").replace(" ", "-").replace("/", "-").lower()
    words = data.decode(errors="replace").split()
    return "0/%d/%s" % (len(data), words[0] if words else "empty")


def main():
    out, period, limit = sys.argv[1], float(sys.argv[2]) / 1000, float(sys.argv[3])
    targets = [argument.split("=", 1) for argument in sys.argv[4:]]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    end = time.monotonic() + limit
    with open(out, "a", buffering=1) as log, concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
        print("READY", flush=True)
        next_round = time.monotonic()
        while not stop.is_set() and time.monotonic() < end:
            started = time.time()
            answers = list(pool.map(probe, [url for _, url in targets]))
            log.write("%.3f %s\n" % (started, " ".join("%s=%s" % (name, answer) for (name, _), answer in zip(targets, answers))))
            next_round += period
            delay = next_round - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            else:
                next_round = time.monotonic()


if __name__ == "__main__":
    main()
