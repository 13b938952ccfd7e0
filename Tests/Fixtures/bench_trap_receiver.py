#!/usr/bin/python3
"""The SNMP trap receiver of Tests/Benchmarks/failover-bench.sh: Debian's snmptrapd, run in
the foreground with its log on a pipe, each notification stamped the moment snmptrapd
writes it (snmptrapd flushes every line; its own timestamps have only whole seconds).

    bench_trap_receiver.py --listen udp:ADDRESS:PORT --dir OUT [--mibs DIR:DIR]

snmptrapd accepts SNMPv2c traps and informs for community `public` and logs them as
Tests/VacataireTestSupport/TrapReceiver.swift has it (`TRAP` line, varbinds, `END`).
OUT/traps.log gets every line of that log prefixed with its arrival time; OUT/arrivals.log
one line per notification, flushed at once:

    TIME<TAB>SOURCE ADDRESS<TAB>EVENT KIND<TAB>NODE

TIME is seconds since the Unix epoch (the host's clock, microseconds). With --mibs (the
IETF base modules and Docs/mibs) varbinds are logged by name; without, numerically, and
the event kind and node are still found (the first two STRING values that look like them).
Prints "READY" once snmptrapd listens. SIGTERM stops snmptrapd and the receiver.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

KINDS = {"failover", "takeover", "failback", "switchover", "check-failed", "check-recovered",
         "peer-lost", "peer-found", "acknowledged", "reminder", "test", "agent-started",
         "agent-stopped", "flapping", "digest", "delivery-failed"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mibs")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    config = os.path.join(args.dir, "snmptrapd.conf")
    with open(config, "w") as out:
        out.write("authCommunity log public\n")
    command = ["/usr/sbin/snmptrapd", "-f", "-C", "-c", config, "-Lo",
               "-F", "TRAP %b\n%V\n%v\nEND\n", "-p", os.path.join(args.dir, "snmptrapd.pid")]
    if args.mibs:
        command += ["-M", args.mibs, "-m", "LE-VACATAIRE-MIB:SNMPv2-MIB"]
    else:
        command += ["-m", "", "-On"]
    command.append(args.listen)
    environment = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(args.dir, "persist"))
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    signal.signal(signal.SIGINT, lambda *_: server.terminate())
    raw = open(os.path.join(args.dir, "traps.log"), "a", buffering=1)
    arrivals = open(os.path.join(args.dir, "arrivals.log"), "a", buffering=1)
    current = None
    for line in iter(server.stdout.readline, b""):
        stamp = time.time()
        text = line.decode("utf-8", "replace").rstrip("\n")
        raw.write("%.6f %s\n" % (stamp, text))
        if text.startswith("NET-SNMP version"):
            print("READY", flush=True)
        if text.startswith("TRAP "):
            source = re.search(r"\[([0-9.]+)\]:\d+->", text)
            current = {"time": stamp, "source": source.group(1) if source else "?", "kind": "?", "node": "?"}
        elif text == "END" and current is not None:
            arrivals.write("%.6f\t%s\t%s\t%s\n" % (current["time"], current["source"], current["kind"], current["node"]))
            arrivals.flush()
            current = None
        elif current is not None and "STRING: " in text:
            value = text.split("STRING: ", 1)[1].strip().strip('"')
            if "vacEventKind" in text or (current["kind"] == "?" and value in KINDS):
                current["kind"] = value
            elif "vacNodeName" in text or (current["node"] == "?" and "::" not in text and value in ("alpha", "beta")):
                current["node"] = value
    return server.wait()


if __name__ == "__main__":
    sys.exit(main())
