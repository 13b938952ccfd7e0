#!/usr/bin/python3
"""The operator lab's lb host ports: a witness, and relays to the SMTP sink and trap receiver.

    lb_ports.py --netns /run/netns/NAME [--witness ADDR:PORT]
                [--tcp ADDR:PORT=127.0.0.1:PORT ...] [--udp ADDR:PORT=127.0.0.1:PORT ...]

Started in the test's own network namespace. Its listening sockets are opened inside the lb
host's namespace (setns on this thread, then back), so the nodes reach them at the lb
host's address; each relayed connection or datagram is passed to the loopback port, in the
test's namespace, where the test's SMTPSink (aiosmtpd) or TrapReceiver (snmptrapd) listens.
The witness accepts connections and closes them. Prints "READY" once everything listens.
"""
import argparse
import ctypes
import os
import signal
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def pump(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_tcp(listener, upstream):
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection(upstream, timeout=5)
            server.settimeout(None)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        threading.Thread(target=pump, args=(server, client), daemon=True).start()


def serve_udp(listener, upstream):
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        data, _ = listener.recvfrom(65536)
        out.sendto(data, upstream)


def serve_witness(listener):
    while True:
        client, _ = listener.accept()
        client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--netns", required=True)
    parser.add_argument("--witness")
    parser.add_argument("--tcp", action="append", default=[])
    parser.add_argument("--udp", action="append", default=[])
    args = parser.parse_args()

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open(args.netns, os.O_RDONLY)
    if libc.setns(there, CLONE_NEWNET) != 0:
        sys.exit("setns %s: %s" % (args.netns, os.strerror(ctypes.get_errno())))
    jobs = []
    try:
        for spec in args.tcp:
            listen, upstream = spec.split("=")
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address(listen))
            sock.listen(64)
            jobs.append((serve_tcp, (sock, address(upstream))))
        for spec in args.udp:
            listen, upstream = spec.split("=")
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(address(listen))
            jobs.append((serve_udp, (sock, address(upstream))))
        if args.witness:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address(args.witness))
            sock.listen(64)
            jobs.append((serve_witness, (sock,)))
    finally:
        # Back home before any thread starts: the relays' upstream sockets belong here.
        if libc.setns(home, CLONE_NEWNET) != 0:
            sys.exit("setns back: %s" % os.strerror(ctypes.get_errno()))
    for target, arguments in jobs:
        threading.Thread(target=target, args=arguments, daemon=True).start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
