#!/usr/bin/env python3
"""Which of the binary's functions an idle agent runs, for the linker's symbol ordering
(Config/link/vacataire.order; Docs/architecture.md, "Outside Sources/").

  link_order.py record --seconds S --out FILE PID...
      Records the page faults of the agents PID... with `perf record -e page-faults -d`
      for S seconds. Every half second it pages out each agent's executable text again
      (process_madvise(MADV_PAGEOUT); each agent runs its own copy of the binary, whose
      pages only it maps), so a function is seen each time it is the first one run on a
      page after a pageout, not only once. Writes the mangled names of the functions whose
      own code faulted, in the order first seen.
  link_order.py merge ORDER NEW...
      Prints ORDER's symbols, then those of NEW... it lacks: a regeneration keeps what an
      earlier one found (a function seen once stays grouped with the others).

The kernel maps up to 16 pages around each fault from the page cache, so one recording
misses the functions that share 64 KiB with one already seen: Config/link/
regenerate-order.sh links with the order found, records again and merges, a few times.
"""
import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
import time

SYS_PIDFD_OPEN = 434
SYS_PROCESS_MADVISE = 440
MADV_PAGEOUT = 21


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def executable_text(pid):
    """The executable's r-xp ranges of process pid (its own file, not a library)."""
    exe = os.readlink(f"/proc/{pid}/exe")
    ranges = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[1] == "r-xp" and fields[5].strip() == exe:
                low, high = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((low, high))
    return exe, ranges


def page_out(libc, pid, ranges):
    pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        return False
    try:
        vectors = (IOVec * len(ranges))(*[IOVec(low, high - low) for low, high in ranges])
        return libc.syscall(SYS_PROCESS_MADVISE, pidfd, vectors, len(ranges), MADV_PAGEOUT, 0) >= 0
    finally:
        os.close(pidfd)


def record(args):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    texts = {pid: executable_text(pid) for pid in args.pids}
    for pid, (exe, ranges) in texts.items():
        if not ranges:
            sys.exit(f"process {pid} maps no text of its executable {exe}")
    data = tempfile.mktemp(suffix=".perf", dir=os.path.dirname(os.path.abspath(args.out)))
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d",
                             "-p", ",".join(str(pid) for pid in args.pids), "-o", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    deadline = time.monotonic() + args.seconds
    pageouts = 0
    while time.monotonic() < deadline:
        for pid, (_, ranges) in texts.items():
            if not page_out(libc, pid, ranges):
                sys.exit(f"process_madvise(MADV_PAGEOUT) on {pid} failed: {os.strerror(ctypes.get_errno())} (Linux 5.10 or later)")
        pageouts += 1
        time.sleep(0.5)
    perf.send_signal(2)
    _, errors = perf.communicate()
    if perf.returncode not in (0, -2):
        sys.exit(f"perf record failed ({perf.returncode}): {errors.decode(errors='replace')}")
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso,addr", "--no-demangle"],
                            capture_output=True, text=True)
    os.unlink(data)
    if script.returncode != 0:
        sys.exit(f"perf script failed: {script.stderr}")
    executables = {exe for exe, _ in texts.values()}
    seen, order = set(), []
    # "ADDR ADDRSYM (ADDRDSO) IP SYM (DSO)": a fault of the code itself is one whose
    # address is on the page of the instruction that faulted.
    pattern = re.compile(r"^\s*([0-9a-f]+)\s.*?\s([0-9a-f]+)\s+(\S+)\s+\((.*)\)\s*$")
    for line in script.stdout.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        address, ip, symbol, dso = int(match[1], 16), int(match[2], 16), match[3], match[4]
        if dso not in executables or address >> 12 != ip >> 12 or symbol == "[unknown]":
            continue
        symbol = symbol.split("+")[0]
        if symbol not in seen:
            seen.add(symbol)
            order.append(symbol)
    with open(args.out, "w") as out:
        out.write("".join(f"{symbol}\n" for symbol in order))
    print(f"{len(order)} functions of the executable faulted over {pageouts} pageouts", file=sys.stderr)


def merge(args):
    seen, order = set(), []
    for path in [args.order] + args.new:
        if not os.path.exists(path):
            continue
        with open(path) as lines:
            for line in lines:
                symbol = line.strip()
                if symbol and not symbol.startswith("#") and symbol not in seen:
                    seen.add(symbol)
                    order.append(symbol)
    sys.stdout.write("".join(f"{symbol}\n" for symbol in order))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record")
    recording.add_argument("--seconds", type=float, default=30)
    recording.add_argument("--out", required=True)
    recording.add_argument("pids", type=int, nargs="+")
    merging = commands.add_parser("merge")
    merging.add_argument("order")
    merging.add_argument("new", nargs="+")
    args = parser.parse_args()
    record(args) if args.command == "record" else merge(args)


if __name__ == "__main__":
    main()
