#!/usr/bin/python3
"""The flapping page of Tests/Benchmarks/failover-bench.sh's notification storm.

    bench_flip_server.py ADDRESS PORT FLAG_FILE STATS_FILE

An HTTP/1.1 server (asyncio, one request per connection) on ADDRESS:PORT. Every path is
one check's page. While FLAG_FILE exists, each path answers 500 and 200 in turn, one change
per request; otherwise it answers 200. On SIGTERM it writes STATS_FILE: per path, how many
requests it answered and how many times its answer changed from the previous one.
"""
import asyncio
import json
import os
import signal
import sys


def main():
    address, port, flag, stats_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    state = {}  # path -> [requests, changes, last status, flips]

    async def handle(reader, writer):
        try:
            request = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "/"
        entry = state.setdefault(path, [0, 0, None, 0])
        if os.path.exists(flag):
            entry[3] += 1
            status = 500 if entry[3] % 2 == 1 else 200
        else:
            status = 200
        entry[0] += 1
        if entry[2] is not None and entry[2] != status:
            entry[1] += 1
        entry[2] = status
        body = b"flip %d\n" % status
        writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (status, len(body), body))
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def serve():
        server = await asyncio.start_server(handle, address, port, reuse_address=True, backlog=1024)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        print("READY", flush=True)
        async with server:
            await stop.wait()
        with open(stats_path, "w") as out:
            json.dump({path: {"requests": e[0], "changes": e[1]} for path, e in state.items()}, out)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
