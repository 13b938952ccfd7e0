#!/usr/bin/python3
"""The report of Tests/Benchmarks/failover-bench.sh: reads what the run measured (RESULTS),
prints the markdown and writes it at the top of Docs/BENCHMARKS.md, keeping the loopback
section that Tests/Benchmarks/pair-bench.sh writes below it.

    bench_report.py --results DIR --smtp DIR --out FILE --vacataire BINARY
                    --root REPO --rounds N --idle-seconds S --started TEXT
"""
import argparse
import datetime
import email
import glob
import json
import os
import re
import statistics
import subprocess

BEGIN = "<!-- failover-bench.sh: begin (generated; edit Tests/Fixtures/bench_report.py) -->"
END = "<!-- failover-bench.sh: end -->"
LOOPBACK = "## A pair on loopback (pair-bench.sh)"
ADDRESS = {"alpha": "198.51.100.1", "beta": "198.51.100.2"}
SUBJECT = {"failover": "FAILOVER", "takeover": "TAKEOVER", "failback": "FAILBACK", "switchover": "SWITCHOVER"}


def numbers(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [float(line.split()[0]) for line in handle if line.strip()]


def quantile(values, q):
    """Linear interpolation between closest ranks (numpy's default, `inclusive`)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values):
    if not values:
        return None
    return {"n": len(values), "median": statistics.median(values), "p99": quantile(values, 0.99),
            "min": min(values), "max": max(values)}


def seconds(s, unit=1.0, digits=3):
    if s is None:
        return "not measured"
    f = "%%.%df" % digits
    return "%s / %s / %s / %s" % tuple(f % (s[k] * unit) for k in ("median", "p99", "min", "max"))


def ratio(ours, theirs):
    if not ours or not theirs or theirs["median"] == 0:
        return ""
    return "×%.2f (p99 ×%.2f)" % (ours["median"] / theirs["median"], ours["p99"] / theirs["p99"])


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def run(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine():
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s cores (`nproc`)%s, %.1f GiB memory, Linux %s" % (
        run(["nproc"]), (" " + model) if model else "", memory / 1024 / 1024, os.uname().release)


# --- figure 4: role change -> page accepted / trap received ---------------------------------

def notification_latencies(results):
    changes = []
    with open(os.path.join(results, "rolechanges.txt")) as handle:
        for line in handle:
            label, node, stamp, kind = line.split()
            changes.append((float(stamp), node, kind, label))
    changes.sort()
    mails = []
    with open(os.path.join(results, "mail_arrivals.log")) as handle:
        for line in handle:
            stamp, number, sender, subject = line.rstrip("\n").split("\t", 3)
            mails.append((float(stamp), sender, subject))
    traps = []
    with open(os.path.join(results, "trap_arrivals.log")) as handle:
        for line in handle:
            stamp, source, kind, node = line.rstrip("\n").split("\t")
            traps.append((float(stamp), source, kind))
    found = {"mail": {}, "trap": {}}
    missing = {"mail": 0, "trap": 0}
    for index, (stamp, node, kind, label) in enumerate(changes):
        # The page of this role change arrives after the previous role change, from the node
        # that serves; it may even arrive before the start action begins (a takeover is paged
        # as it is decided).
        previous = changes[index - 1][0] if index else stamp - 5
        mail = next((m for m in mails if previous < m[0] <= stamp + 30 and m[1] == "vacataire-%s@example.org" % node
                     and SUBJECT[kind] in m[2]), None)
        trap = next((t for t in traps if previous < t[0] <= stamp + 30 and t[1] == ADDRESS[node] and t[2] == kind), None)
        for channel, hit in (("mail", mail), ("trap", trap)):
            if hit is None:
                missing[channel] += 1
            else:
                found[channel].setdefault(kind, []).append(hit[0] - stamp)
    return found, missing, len(changes)


# --- figure 5: the storm -------------------------------------------------------------------

def storm_report(directory, smtp, mail_times, traps_path):
    storm = load_json(os.path.join(directory, "storm.json"))
    if storm is None:
        return None
    on, off, end = storm["on"], storm["off"], storm["end"]
    heartbeat, dead_after = storm["heartbeat"], storm["dead_after"]
    # The state changes the checks' sources made: the flip server's answers (http), the
    # scripts' own per-run logs (exec).
    runs = changes = 0
    stats = load_json(os.path.join(directory, "flip_stats.json"))
    if stats is not None:
        for entry in stats.values():
            runs += entry["requests"]
            changes += entry["changes"]
    for path in glob.glob(os.path.join(directory, "checks", "*.log")):
        with open(path) as handle:
            statuses = [line.strip() for line in handle if line.strip()]
        runs += len(statuses)
        changes += sum(1 for a, b in zip(statuses, statuses[1:]) if a != b)
    # What the agent recorded in its event history.
    recorded = {"check-failed": 0, "check-recovered": 0}
    timeouts = 0
    with open(os.path.join(directory, "events_alpha.txt")) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("|", 4)
            if len(fields) < 5 or fields[2] != "check" or "storm-" not in fields[4]:
                continue
            if fields[3] in recorded:
                recorded[fields[3]] += 1
                if re.search(r"timed out|no result|timeout", fields[4], re.I):
                    timeouts += 1
    events_json = None
    path = os.path.join(directory, "events_alpha.json")
    if os.path.exists(path):
        try:
            with open(path) as handle:
                parsed = json.load(handle)
            items = parsed if isinstance(parsed, list) else parsed.get("events", [])
            events_json = sum(1 for item in items if isinstance(item, dict) and item.get("kind") in recorded
                              and "storm-" in json.dumps(item))
        except (ValueError, AttributeError):
            events_json = None
    # What the mails from alpha told in this storm's window: the notices sent one by one,
    # and the counts of those held back.
    told = {"check-failed": 0, "check-recovered": 0, "flapping-start": 0, "flapping-stop": 0, "digest": 0, "other": 0}
    suppressed = suppressed_storm = stop_held = 0
    for number, arrived in sorted(mail_times.items()):
        if not (on - 5 <= arrived <= end):
            continue
        with open(os.path.join(smtp, "%s.eml" % number), "rb") as handle:
            message = email.message_from_binary_file(handle)
        if message.get("X-Vacataire-Node") != "alpha":
            continue
        kind = message.get("X-Vacataire-Event", "")
        body = message.get_payload(decode=True).decode("utf-8", "replace")
        if kind in ("check-failed", "check-recovered") and "storm-" in body:
            told[kind] += 1
        elif kind == "flapping":
            stopped = re.search(r"stopped flapping \([^)]*\); (\d+) notice\(s\) were held back", body)
            told["flapping-stop" if stopped else "flapping-start"] += 1
            if stopped:
                stop_held += int(stopped.group(1))
        elif kind == "digest":
            told["digest"] += 1
        else:
            told["other"] += 1
        count = re.search(r"^(\d+) more events were suppressed: (.*)$", body, re.M)
        if count:
            suppressed += int(count.group(1))
            suppressed_storm += sum(int(n) for n in re.findall(r"check-(?:failed|recovered) storm-\d+ x(\d+)", count.group(2)))
    traps = {}
    with open(traps_path) as handle:
        for line in handle:
            stamp, source, kind, node = line.rstrip("\n").split("\t")
            if source == ADDRESS["alpha"] and on - 5 <= float(stamp) <= end:
                traps[kind] = traps.get(kind, 0) + 1
    # The same counts as the traps told them (vacMessage: "... (N suppressed: ...)"), from
    # snmptrapd's log of each notification.
    trap_suppressed = 0
    trap_storm_notices = 0
    raw = os.path.join(os.path.dirname(traps_path), "traps.log")
    if os.path.exists(raw):
        block = []
        with open(raw) as handle:
            for line in handle:
                stamp, _, text = line.rstrip("\n").partition(" ")
                if text.startswith("TRAP "):
                    block = [float(stamp), text]
                elif text == "END" and block:
                    joined = " ".join(block[1:])
                    if ADDRESS["alpha"] + "]" in block[1] and on - 5 <= block[0] <= end:
                        message = re.search(r"vacMessage[^=]*= STRING: (.*?)(?: [A-Z-]+::|$)", joined)
                        text_all = message.group(1) if message else joined
                        if re.search(r"vac(CheckFailed|CheckRecovered)\b", joined) and "storm-" in joined:
                            trap_storm_notices += 1
                        found = re.search(r"\((\d+) suppressed: ", text_all)
                        if found:
                            trap_suppressed += int(found.group(1))
                    block = []
                elif block:
                    block.append(text)
    # Heartbeats as each node's /metrics saw them, and alpha's memory.
    heard = {"alpha": [], "beta": []}
    unanswered = {"alpha": 0, "beta": 0}
    rss = []
    with open(os.path.join(directory, "samples.txt")) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 3:
                continue
            stamp, name = float(parts[0]), parts[1]
            if name in heard:
                if not (on <= stamp <= end):
                    continue
                if parts[2].startswith("none"):
                    unanswered[name] += 1
                else:
                    heard[name].append(float(parts[2]))
            elif name == "rss:alpha" and parts[2] != "none":
                rss.append((stamp, int(parts[2]), int(parts[3])))
    before = [r for r in rss if r[0] < on]
    during = [r for r in rss if on <= r[0] <= end]
    memory = {
        "before": before[-1][1] if before else None,
        "peak": max(r[1] for r in during) if during else None,
        "after": rss[-1][1] if rss else None,
        "hwm": max(r[2] for r in rss) if rss else None,
    }
    # From the storm's start to the phase's end: the tear-down that follows (the network
    # removed under running agents) logs a peer loss that is not the storm's.
    def logged_in_phase(line):
        try:
            when = datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            return False
        return int(on) <= when <= end
    peer_lines = {}
    for node in ("alpha", "beta"):
        with open(os.path.join(directory, "agent_%s.log" % node)) as handle:
            peer_lines[node] = [line.strip() for line in handle
                                if re.search(r"\(peer-lost\) opened|taking over|self-fenc", line) and logged_in_phase(line)]
    # Role changes after the storm began (each storm starts from fresh state directories).
    transitions = []
    for node in ("alpha", "beta"):
        with open(os.path.join(directory, "events_%s.txt" % node)) as handle:
            for line in handle:
                fields = line.rstrip("\n").split("|", 4)
                if len(fields) < 5 or fields[2] != "transition":
                    continue
                when = datetime.datetime.strptime(fields[1][:19], "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=datetime.timezone.utc).timestamp() + float("0." + (fields[1][20:] or "0"))
                if when >= on:
                    transitions.append("%s: %s" % (node, fields[4][:160]))
    heartbeat_view = {}
    for name, values in heard.items():
        heartbeat_view[name] = {
            "samples": len(values), "unanswered": unanswered[name],
            "max": max(values) if values else None,
            "over_2h": sum(1 for v in values if v > 2 * heartbeat),
            "over_dead": sum(1 for v in values if v >= dead_after),
        }
    cpu = 100.0 * storm["alpha_cpu_ticks"] / storm["clock_ticks"] / (off - on)
    refused = []
    with open(os.path.join(directory, "agent_alpha.log")) as handle:
        for line in handle:
            if "refused for good" in line or "given up" in line:
                refused.append(re.sub(r"^\S+ \S+ vacataire: node=\w+ \[VacataireAgent\] ", "", line.strip()))
    return {
        "refused": refused,
        "storm": storm, "runs": runs, "changes": changes, "recorded": recorded, "timeouts": timeouts,
        "events_json": events_json, "told": told, "suppressed": suppressed, "suppressed_storm": suppressed_storm,
        "stop_held": stop_held, "traps": traps, "heartbeats": heartbeat_view, "memory": memory,
        "trap_suppressed": trap_suppressed, "trap_storm_notices": trap_storm_notices,
        "peer_lines": peer_lines, "cpu": cpu, "transitions": transitions,
    }


def mib(kib):
    return "%.1f" % (kib / 1024.0) if kib is not None else "?"


# --- the document --------------------------------------------------------------------------

def build(args):
    results = args.results
    fig1 = {k: summary(numbers(os.path.join(results, "fig1_%s.txt" % k)))
            for k in ("vacataire", "keepalived_tuned", "keepalived_script1s", "keepalived_defaults")}
    fig2 = {k: summary(numbers(os.path.join(results, "fig2_%s.txt" % k)))
            for k in ("vacataire", "vacataire_fast", "keepalived_tuned", "keepalived_defaults")}
    idle = {k: load_json(os.path.join(results, "idle_%s.json" % k))
            for k in ("vacataire", "vacataire_fast", "vacataire_soak", "keepalived_tuned", "keepalived_script1s", "keepalived_defaults")}
    soak_path = os.path.join(results, "soak_vacataire.txt")
    soak = open(soak_path).read().split() if os.path.exists(soak_path) else None
    fast_dead = open(os.path.join(results, "fast_dead.txt")).read().strip() \
        if os.path.exists(os.path.join(results, "fast_dead.txt")) else "(not run)"
    refusals = open(os.path.join(results, "fast_refusals.txt")).read().strip().splitlines() \
        if os.path.exists(os.path.join(results, "fast_refusals.txt")) else []
    restarts = {}
    for label in ("vacataire", "vacataire_fast"):
        path = os.path.join(results, "restart_%s.txt" % label)
        if os.path.exists(path):
            for line in open(path):
                restarts[line.strip()] = restarts.get(line.strip(), 0) + 1
    stability = {}
    for profile, label in (("standard", "vacataire"), ("fast", "vacataire_fast")):
        counts = {}
        for node in ("alpha", "beta"):
            path = os.path.join(results, "agent_%s_%s.log" % (profile, node))
            if not os.path.exists(path):
                continue
            text = open(path).read()
            counts[node] = {
                "peer_lost": len(re.findall(r"\(peer-lost\) opened", text)),
                "self_fence": len(re.findall(r"event=transition .*active -> quiescing: self-fencing", text)),
                "takeovers": len(re.findall(r"event=takeover .*takeover \(incident", text)),
                "peer_lost_pages": len(re.findall(r"notification peer-lost sent: email", text)),
                "silence_ms": [int(x) for x in re.findall(r"takeover \(incident [^)]*\): taking over: no heartbeat from \w+ for (\d+) ms", text)],
                "first_line": next((line.strip() for line in text.splitlines()
                                    if "active -> quiescing: self-fencing" in line), None),
            }
        stability[label] = counts
    found, missing, changes = notification_latencies(results)
    mail_times = {}
    with open(os.path.join(results, "mail_arrivals.log")) as handle:
        for line in handle:
            stamp, number, _ = line.split("\t", 2)
            mail_times[number] = float(stamp)
    storms = {kind: storm_report(os.path.join(results, "storm_" + kind), args.smtp, mail_times,
                                 os.path.join(results, "trap_arrivals.log")) for kind in ("http", "exec")}

    commit = args.head or run(["git", "-C", args.root, "rev-parse", "--short", "HEAD"])
    dirty = run(["git", "-C", args.root, "status", "--porcelain", "--", "Sources", "Package.swift"])
    keepalived = open(os.path.join(results, "keepalived_version.txt")).read().strip() \
        if os.path.exists(os.path.join(results, "keepalived_version.txt")) else ""
    keepalived = " ".join(keepalived.splitlines()[0].split()[:2]) if keepalived else "keepalived ?"
    keepalived_deb = run(["dpkg-query", "-W", "-f", "${Version}", "keepalived"])
    version = run([args.vacataire, "--version"])
    date = args.ended or run(["date", "-u"])

    out = []
    w = out.append
    w(BEGIN)
    w("## vacataire and keepalived side by side (failover-bench.sh)")
    w("")
    w("Measured by Tests/Benchmarks/failover-bench.sh (`make bench`) in one run that started %s and ended %s." % (args.started, date))
    built = subprocess.run(["date", "-u", "-r", args.vacataire, "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
    origin = ("built from `%s`; " % args.binary_commit) if args.binary_commit else ""
    mtime = int(os.stat(args.vacataire).st_mtime)
    before_build = run(["git", "-C", args.root, "log", "-1", "--format=%h", "--before=@%d" % mtime])
    digest = run(["sha256sum", args.vacataire]).split(" ")[0][:12]
    w("Machine: %s. vacataire %s, the binary `%s` (%sbuilt %s, %.0f MB, sha256 %s…); the checkout's HEAD `%s`%s."
      % (machine(), version, args.binary_source or args.vacataire, origin, built,
         os.path.getsize(args.vacataire) / 1e6, digest, commit, " (Sources/ modified)" if dirty else ""))
    if not args.binary_commit and before_build and before_build != commit:
        w("The binary is older than HEAD: the last commit before it was built is `%s`; these figures are"
          " the binary's, not HEAD's." % before_build)
    w("keepalived: %s (Debian package %s)." % (keepalived, keepalived_deb or "?"))
    busy = open(os.path.join(results, "machine_busy.txt")).read().strip() \
        if os.path.exists(os.path.join(results, "machine_busy.txt")) else "?"
    loads = [open(os.path.join(results, "loadavg_%s.txt" % when)).read().split()[0]
             if os.path.exists(os.path.join(results, "loadavg_%s.txt" % when)) else "?" for when in ("start", "end")]
    w("The machine was %s %% busy over the whole run (all cores, everything running on it, the benchmark"
      " included); load average %s at the start, %s at the end." % (busy, loads[0], loads[1]))
    w("")
    w("Three hosts in network namespaces on the same kernel and clock: `vb-alpha` (198.51.100.1) and")
    w("`vb-beta` (198.51.100.2), each with a veth to a bridge in `vb-lab` (198.51.100.254), which runs")
    w("the SMTP sink (aiosmtpd), snmptrapd and the witness (a TCP listener). The service is")
    w("Tests/Fixtures/operator_lab/page_server.py (a 4096-byte page); both agents start and stop it")
    w("with the same script, whose first command appends `date +%s.%N` to a file: *the standby's")
    w("start begins* is that stamp. The causes are stamped with bash's `$EPOCHREALTIME` (the same")
    w("clock, no fork). Times are in seconds as median / p99 / min / max over %d rounds (p99" % args.rounds)
    w("interpolated between the two slowest rounds). Ratios are vacataire ÷ keepalived, medians")
    w("(p99 in brackets): below 1, vacataire is faster or smaller.")
    w("")
    w("Configurations:")
    w("- **vacataire**: heartbeat_interval 50ms, dead_after 500ms, self_fence_after 200ms, drain 100ms;")
    w("  an `http` check of the node's own page (`http://198.51.100.1:8080/` on alpha) every 100ms (timeout 100ms) expecting status 200 and")
    w("  exactly 4096 bytes, rise 2, fall 2; witness `tcp://198.51.100.254:8099` and `service_probe` of the")
    w("  peer's page; email (no TLS, in the lab) and SNMPv2c traps to vb-lab.")
    w("- **vacataire, fast**: the same with dead_after %s, self_fence_after 125ms and a 100ms stop" % fast_dead)
    w("  timeout: the smallest dead_after `check-config` accepts with a witness at 50 ms heartbeats.")
    w("- **keepalived tuned**: VRRPv3, unicast peers, advert_int 0.1, alpha priority 150 (state MASTER,")
    w("  preempting, keepalived's default), beta 100; a `track_file` written by a loop that runs the")
    w("  same check as the agent's (curl, status 200 and 4096 bytes, 100 ms timeout) every 100 ms with")
    w("  fall 2 / rise 2. keepalived 2.2.7 refuses a `vrrp_script` interval below 1 s (`interval 0.1`")
    w("  is logged as invalid and *ignored*, leaving the default 1 s), so the loop is the only way to")
    w("  check every 100 ms. notify_master stamps and starts the service; notify_backup and")
    w("  notify_fault stop it. The check passes while the service is off by design (no pid file), as")
    w("  the agent's service-scope check is idle on a standby.")
    w("- **keepalived, vrrp_script 1 s**: the same with a `vrrp_script` of that check, interval 1 (the")
    w("  smallest accepted), fall 2, rise 2: what `interval 0.1` silently gives.")
    w("- **keepalived defaults**: advert_int 1, a `vrrp_script` with no interval, fall or rise (1 s, 1, 1).")
    w("")
    w("### Failover")
    w("")
    w("| figure | vacataire | keepalived tuned | ratio | keepalived, vrrp_script 1 s | ratio | keepalived defaults | ratio |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    w("| 1. check failure -> standby's start begins | %s | %s | %s | %s | %s | %s | %s |" % (
        seconds(fig1["vacataire"]), seconds(fig1["keepalived_tuned"]), ratio(fig1["vacataire"], fig1["keepalived_tuned"]),
        seconds(fig1["keepalived_script1s"]), ratio(fig1["vacataire"], fig1["keepalived_script1s"]),
        seconds(fig1["keepalived_defaults"]), ratio(fig1["vacataire"], fig1["keepalived_defaults"])))
    w("| 2. master crash -> standby's start begins (vacataire dead_after 500ms) | %s | %s | %s | (as tuned) | | %s | %s |" % (
        seconds(fig2["vacataire"]), seconds(fig2["keepalived_tuned"]), ratio(fig2["vacataire"], fig2["keepalived_tuned"]),
        seconds(fig2["keepalived_defaults"]), ratio(fig2["vacataire"], fig2["keepalived_defaults"])))
    w("| 2b. master crash -> standby's start begins (vacataire dead_after %s) | %s | %s | %s | (as tuned) | | %s | %s |" % (
        fast_dead, seconds(fig2["vacataire_fast"]), seconds(fig2["keepalived_tuned"]),
        ratio(fig2["vacataire_fast"], fig2["keepalived_tuned"]),
        seconds(fig2["keepalived_defaults"]), ratio(fig2["vacataire_fast"], fig2["keepalived_defaults"])))
    w("")
    detection = summary(numbers(os.path.join(results, "fig1_detection_vacataire.txt")))
    overhead = summary(numbers(os.path.join(results, "fig1_overhead_vacataire.txt")))
    if detection and overhead:
        w("vacataire, figure 1 split at the check's state change in alpha's history (recorded when the agent")
        w("weighs the failing run, just after it ends): **detection** (the page cut -> that change; configured:")
        w("up to one 100 ms interval before the first failing run, then one more interval for fall 2, each")
        w("run up to its 100 ms timeout) %s; **the agents' own work** (that change -> beta's start begins:" % seconds(detection))
        w("alpha's decision, the handoff request and its answer over the peer link, beta's synchronous")
        w("write of the new epoch, the fork of its start action) %s." % seconds(overhead))
        handoff = summary(numbers(os.path.join(results, "fig1_handoff_vacataire.txt")))
        start = summary(numbers(os.path.join(results, "fig1_startscript_vacataire.txt")))
        if handoff and start:
            w("Of that work: alpha's check change -> beta's change of state in its history (the decision,")
            w("the handoff over the peer link, beta's epoch written) %s; beta's change of state -> the" % seconds(handoff))
            w("start script's stamp (the spawn of `bash`, its own start and the `date` that stamps) %s." % seconds(start))
        w("")
    for label, name in (("vacataire", "dead_after 500ms"), ("vacataire_fast", "dead_after %s" % fast_dead)):
        counts = stability.get(label, {})
        if "beta" not in counts:
            continue
        beta = counts["beta"]
        crashes = fig2[label]["n"] if fig2.get(label) else 0
        w("vacataire, %s: for %d crashes of alpha, beta opened %d peer-lost incidents, took over **%d** times, "
          "self-fenced **%d** times (alpha %d) and sent %d peer-lost pages; the silence its takeovers logged "
          "(the first of each crash included): %s ms." % (
              name, crashes, beta["peer_lost"], beta["takeovers"], beta["self_fence"],
              counts.get("alpha", {}).get("self_fence", 0), beta["peer_lost_pages"],
              "median %d, min %d, max %d" % (statistics.median(beta["silence_ms"]), min(beta["silence_ms"]),
                                             max(beta["silence_ms"])) if beta["silence_ms"] else "none"))
        if beta["self_fence"]:
            w("After a takeover beta self-fenced although the witness answered, took over again after")
            w("dead_after, and so on until alpha's agent was back (a few seconds here):")
            w("")
            w("    " + re.sub(r"^\S+ \S+ vacataire: ", "", beta["first_line"])[:300])
        w("")
    w("### Idle footprint per node (%d s, after the pair settled)" % args.idle_seconds)
    w("")
    w("| daemon | node | processes (threads) | RSS MiB (anon + file) | CPU % of one core (own + reaped children) | machine busy (outside the benchmark) |")
    w("| --- | --- | --- | --- | --- | --- |")
    names = {"vacataire": "vacataire", "vacataire_fast": "vacataire, fast",
             "vacataire_soak": ("vacataire, after %s min with %s incidents more (%d check failures and %d crashes before)" % (soak[0], soak[1], args.rounds, args.rounds))
             if soak else "vacataire, after the soak",
             "keepalived_tuned": "keepalived tuned",
             "keepalived_script1s": "keepalived, vrrp_script 1 s", "keepalived_defaults": "keepalived defaults"}
    for key, name in names.items():
        data = idle.get(key)
        if not data:
            continue
        for node, role in (("alpha", "alpha (serves)"), ("beta", "beta (standby)")):
            d = data.get(node)
            if not d:
                continue
            w("| %s | %s | %d (%d) | %s (%s + %s) | %.2f + %.2f = **%.2f** | %s |" % (
                name, role, d["processes"], d["threads"], mib(d["rss_kib"]), mib(d["rss_anon_kib"]), mib(d["rss_file_kib"]),
                d["cpu_percent"], d["cpu_children_percent"], d["cpu_percent"] + d["cpu_children_percent"],
                ("%.0f %% (%.0f %% outside)" % (data["machine_busy"], data.get("outside", float("nan"))))
                if "machine_busy" in data else "?"))
            extra = data.get(node + "_extra")
            if extra:
                w("| %s: its check loop | %s | %d | %s | %.2f + %.2f = **%.2f** | |" % (
                    name, role, extra["processes"], mib(extra["rss_kib"]),
                    extra["cpu_percent"], extra["cpu_children_percent"], extra["cpu_percent"] + extra["cpu_children_percent"]))
    w("")
    w("*Machine busy* is the share of all cores busy over the window; *outside* is what ran outside the")
    w("three namespaces (something else on the machine, a build say): above a few percent, the daemons")
    w("shared the machine with it.")
    busy_windows = [(names[key], data) for key, data in idle.items() if data and data.get("outside", 0) > 5]
    for name, data in busy_windows:
        w("%s: %.0f %% outside; the busiest processes alive through the window: %s." % (
            name, data["outside"], ", ".join("%s (pid %s) %.1f %% of a core" % (t["comm"], t["pid"], t["cpu_percent"])
                                              for t in data.get("top", [])) or "?"))
    v, k = idle.get("vacataire"), idle.get("keepalived_tuned")
    if v and k:
        def total(data, node, field):
            value = data[node][field]
            extra = data.get(node + "_extra")
            return value + (extra[field] if extra else 0)
        def cpu(data, node):
            return total(data, node, "cpu_percent") + total(data, node, "cpu_children_percent")
        w("")
        w("Ratios, vacataire ÷ keepalived tuned (its check loop included): RSS alpha ×%.2f, beta ×%.2f; "
          "CPU alpha ×%.2f, beta ×%.2f." % (
              v["alpha"]["rss_kib"] / total(k, "alpha", "rss_kib"), v["beta"]["rss_kib"] / total(k, "beta", "rss_kib"),
              cpu(v, "alpha") / max(cpu(k, "alpha"), 1e-9), cpu(v, "beta") / max(cpu(k, "beta"), 1e-9)))
    w("")
    w("### Notifications (vacataire)")
    w("")
    w("From each role change of figures 1, 2 and 2b (the start-begin stamp of the node that serves")
    w("afterwards, which is the node that pages) to the page's arrival: the sink's time when the whole")
    w("message was received (just before its 250), and the time snmptrapd wrote the trap. %d role" % changes)
    w("changes (failover: figure 1; takeover: figures 2 and 2b; failback or switchover: the repair after")
    w("each round); %d without a mail, %d without a trap. The failover and takeover pages are decided" % (
        missing["mail"], missing["trap"]))
    w("with the role change, before the start action runs, so they may arrive a little *before* the")
    w("start's stamp (a negative time); a failback is paged when it completes, after alpha's service")
    w("passed its checks (rise 2 × 100 ms) and beta drained (2 × drain) and stopped its own.")
    w("")
    w("| role change | mails: n, median / p99 / min / max | traps: n, median / p99 / min / max |")
    w("| --- | --- | --- |")
    kinds = sorted(set(found["mail"]) | set(found["trap"]))
    for kind in kinds + ["all"]:
        if kind == "all":
            mail = [x for values in found["mail"].values() for x in values]
            trap = [x for values in found["trap"].values() for x in values]
        else:
            mail, trap = found["mail"].get(kind, []), found["trap"].get(kind, [])
        w("| %s | %d: %s | %d: %s |" % (kind, len(mail), seconds(summary(mail)), len(trap), seconds(summary(trap))))
    w("")
    if any(storms.values()):
        kinds = [k for k in ("http", "exec") if storms[k]]
        first = storms[kinds[0]]["storm"]
        w("### Notification storm (vacataire)")
        w("")
        w("%s `severity: warning` checks on alpha (the serving node), each every 100 ms (the smallest" % " and ".join(
            "%d %s" % (storms[k]["storm"]["checks"], k) for k in kinds))
        w("interval accepted) with rise 1 and fall 1, failing and passing in turn on every run for %d s:" % first["seconds"])
        w("**http**: `http` checks against a local server (Tests/Fixtures/bench_flip_server.py) whose page")
        w("answers 500 and 200 in turn, one libcurl transfer per run inside the agent; **exec**: `exec`")
        w("checks of a shell script that exits 2 and 0 in turn, one process per run, as a Nagios plugin")
        w("would be. A flapping window of 10 s (`rate_limit.flapping.window`) so that the episodes end")
        w("within the run; every other limit at its default. Both nodes' `/metrics` sampled every 20 ms")
        w("from vb-lab, from the storm's start to the end of the phase (the flapping episodes end, and")
        w("their notices go out, about 10 s after the storm); dead_after 500 ms, self_fence_after 200 ms.")
        w("")
        w("| what | " + " | ".join(kinds) + " |")
        w("| --- | " + " | ".join("---" for _ in kinds) + " |")
        def row(label, render):
            w("| %s | %s |" % (label, " | ".join(render(storms[k]) for k in kinds)))
        row("check runs / state changes made by the checks' sources (flip server, scripts' own logs)",
            lambda s: "%d / %d" % (s["runs"], s["changes"]))
        row("check events in alpha's history (`events` table): check-failed + check-recovered",
            lambda s: "**%d** (%d + %d)" % (s["recorded"]["check-failed"] + s["recorded"]["check-recovered"],
                                           s["recorded"]["check-failed"], s["recorded"]["check-recovered"]))
        row("the same counted in `vacataire events --json` (asked for the newest 10,000, its most: the table above holds them all)",
            lambda s: "%s" % ("?" if s["events_json"] is None else s["events_json"]))
        row("of those events, runs that timed out (100 ms)", lambda s: "%d" % s["timeouts"])
        row("alpha's CPU during the storm (own + children), % of one core", lambda s: "%.0f" % s["cpu"])
        for node, peer in (("beta", "alpha"), ("alpha", "beta")):
            row("%s's `vacataire_peer_last_heard_seconds` (how long since it heard %s): samples, max, "
                "samples > 2 heartbeats (100 ms), >= dead_after, unanswered" % (node, peer),
                lambda s, node=node: "%d, %s s, %d, %d, %d" % (
                    s["heartbeats"][node]["samples"],
                    "%.3f" % s["heartbeats"][node]["max"] if s["heartbeats"][node]["max"] is not None else "?",
                    s["heartbeats"][node]["over_2h"], s["heartbeats"][node]["over_dead"], s["heartbeats"][node]["unanswered"]))
        row("state changes of either node from the storm's start to the end of the phase (should be none)",
            lambda s: "**%d**%s" % (len(s["transitions"]), (": " + "; ".join(s["transitions"][:3]).replace("|", "/")
                                                           + (" ..." if len(s["transitions"]) > 3 else "")) if s["transitions"] else ""))
        row("log lines: peer-lost incident opened, taking over, self-fence (alpha, beta)",
            lambda s: "%d, %d" % (len(s["peer_lines"]["alpha"]), len(s["peer_lines"]["beta"])))
        row("alpha's RSS before / peak / after, MiB (VmHWM)",
            lambda s: "%s / %s / %s (%s)" % (mib(s["memory"]["before"]), mib(s["memory"]["peak"]),
                                              mib(s["memory"]["after"]), mib(s["memory"]["hwm"])))
        row("mails from alpha: check-failed, check-recovered, flapping starts, flapping stops, digests, other",
            lambda s: "%d, %d, %d, %d, %d, %d" % tuple(s["told"][k] for k in (
                "check-failed", "check-recovered", "flapping-start", "flapping-stop", "digest", "other")))
        row("events counted as suppressed in those mails", lambda s: "%d" % s["suppressed_storm"])
        row("told by mail in all (one by one + counted) vs recorded",
            lambda s: "**%d vs %d**" % (s["told"]["check-failed"] + s["told"]["check-recovered"] + s["suppressed_storm"],
                                        s["recorded"]["check-failed"] + s["recorded"]["check-recovered"]))
        row("told by trap in all (one by one + counted in vacMessage, a DisplayString of at most 255 characters)",
            lambda s: "%d" % (s["trap_storm_notices"] + s["trap_suppressed"]))
        row("machine busy during the storm, all cores (of it, outside the benchmark's namespaces)",
            lambda s: "%.0f %% (%.0f %%)" % (s["storm"].get("machine_busy", float("nan")), s["storm"].get("outside", float("nan"))))
        row("deliveries refused for good or given up (alpha's log)",
            lambda s: "%d%s" % (len(s["refused"]), (": " + s["refused"][0][:220].replace("|", "/")) if s["refused"] else ""))
        row("traps from alpha by kind",
            lambda s: ", ".join("%s %d" % kv for kv in sorted(s["traps"].items())) or "none")
        w("")
    w("### What each figure includes")
    w("")
    w("1. *Check failure*: from the moment the page is cut to 1024 bytes (a file that page_server.py reads")
    w("   on every request) to the standby's start stamp: the check schedule (up to one interval before")
    w("   the first failing run, then `fall` - 1 more intervals), the agent's decision and handoff request")
    w("   over the peer link, the standby's persisting of the new epoch (SQLite, synchronous) and the fork of")
    w("   its start action; for keepalived the loop's (or vrrp_script's) runs, the FAULT transition and its")
    w("   priority-0 advert, the backup's skew time ((256 - 100) / 256 × advert_int) and the fork of")
    w("   notify_master. Each round is then repaired: vacataire by `vacataire failback`, keepalived by")
    w("   preemption.")
    w("2. *Master crash*: from `kill -9` of alpha's agent and of its service (keepalived: its parent is")
    w("   stopped first, then its VRRP child, the parent, the check loop and the service are killed, child")
    w("   before parent, all within microseconds: a parent killed first would have its child leave")
    w("   gracefully with a priority-0 advert, a shutdown rather than a crash) to beta's start stamp: silence until dead_after (counted from")
    w("   the last heartbeat received, so up to one heartbeat interval less than dead_after after the")
    w("   kill), the split-brain guard (a TCP connect to the witness, an HTTP probe of alpha's service,")
    w("   refused), persisting, the fork; for keepalived, the master-down interval (3 × advert_int + skew),")
    w("   counted from the last advert, with no guard at all. Then alpha is restarted: the agent came")
    w("   back %s (of %d restarts), and `vacataire failback` (or `switchover`) gave it the service again;" % (
        ", ".join("`%s` %d times" % kv for kv in sorted(restarts.items())) or "?", sum(restarts.values())))
    w("   keepalived's alpha preempts.")
    w("3. *Idle footprint*: RSS is the sum of VmRSS of the daemon's processes at the end of the window")
    w("   (vacataire: one process; keepalived: its parent and VRRP child, `--vrrp`; the tuned keepalived's")
    w("   check loop on its own line); CPU is the growth of utime + stime, and of cutime + cstime (the")
    w("   check scripts and curl it reaped), over the window, in percent of one core. The services")
    w("   (python) are not counted. Each vacataire node runs its own copy of the binary, as on two")
    w("   servers (10 s after its start an agent unmaps the read-only pages it touched, which stay in the")
    w("   page cache: nothing is paged out); both keepalived nodes")
    w("   run Debian's one binary. `make bench` builds vacataire as the Debian package does")
    w("   (Config/link/release-build.sh: the functions the idle loop runs laid out together).")
    w("4. *Notifications*: see above; the email goes through the durable outbox (committed to SQLite")
    w("   first) and libcurl's SMTP client, the trap through Net-SNMP, both from the node that serves.")
    w("5. *Storm*: changes are counted by the checks' sources (the flip server, the scripts' logs); events from the state")
    w("   database's `events` table; heartbeats from each node's /metrics (a sample above 100 ms means")
    w("   at least one heartbeat missing at that moment); suppressed counts from the mails' \"N more")
    w("   events were suppressed\" lines (flapping starts, stops, digests).")
    if refusals:
        w("")
        w("Smaller dead_after values were refused by `vacataire check-config`:")
        w("")
        for line in refusals:
            if "problem(s)" in line:
                continue
            w("    " + re.sub(r"/\S+/probe/", "", line))
    w(END)
    return "\n".join(out) + "\n"


def merge(section, path):
    """Our section first, then the loopback section of pair-bench.sh (its own '# Benchmarks'
    heading becomes '## A pair on loopback')."""
    old = open(path).read() if os.path.exists(path) else ""
    if BEGIN in old and END in old:
        old = old[:old.index(BEGIN)] + old[old.index(END) + len(END):]
    lines = old.strip("\n").splitlines()
    while lines and (lines[0].strip() in ("# Benchmarks", "") or lines[0].startswith(LOOPBACK)):
        lines.pop(0)
    rest = "\n".join(lines).strip("\n")
    text = "# Benchmarks\n\n" + section
    if rest:
        text += "\n" + LOOPBACK + "\n\n" + rest + "\n"
    with open(path, "w") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser()
    for name in ("results", "smtp", "out", "vacataire", "root", "started"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--ended", default="", help="when the run ended (default: now)")
    parser.add_argument("--head", default="", help="the checkout's HEAD during the run (default: now)")
    parser.add_argument("--binary-source", default="", help="where the binary (a copy, --vacataire) came from")
    parser.add_argument("--binary-commit", default=os.environ.get("VACATAIRE_BINARY_COMMIT", ""),
                        help="the commit the binary was built from, when it is not the checkout's")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--idle-seconds", type=int, required=True)
    args = parser.parse_args()
    section = build(args)
    print(section)
    merge(section, args.out)


if __name__ == "__main__":
    main()
