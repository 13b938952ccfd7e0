# Le Vacataire: the README's commands. Run as root on a fresh Debian machine with Swift
# at /opt/swift (or on PATH).
#
#   make demo    install what is needed, build, and run the two-node demo
#   make test    install what is needed, build with warnings checked, and run every test
#   make deb     build vacataire_VERSION_amd64.deb (then: apt install ./vacataire_*.deb)

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT ?= swift

# Build: libcurl and Net-SNMP headers, SQLite for GRDB, pkg-config; the Debian package:
# dpkg-dev (dpkg-deb, dpkg-shlibdeps), binutils (strip), gzip.
BUILD_PACKAGES = build-essential pkg-config libcurl4-openssl-dev libsnmp-dev libsqlite3-dev \
                 dpkg-dev binutils gzip
# Run and test: the real servers and tools the tests and the demo start; the package
# test's lintian, man-db, bash-completion and adduser; promtool (Debian `prometheus`) for
# the alerting rules; libfaketime (`faketime`) for an agent whose clock is off; etcd
# (`etcd-server`) for the lease mode's client; ping (`iputils-ping`) for the floating address's
# client in its namespace; Pacemaker's OCF resource agents (`resource-agents`) and the nginx
# their tests drive.
RUN_PACKAGES = ca-certificates openssl python3 python3-aiosmtpd snmp snmpd snmptrapd smitools \
               monitoring-plugins-basic haproxy iproute2 iputils-ping procps sqlite3 curl bc util-linux \
               lintian man-db bash-completion adduser bsdextrautils systemd prometheus faketime \
               etcd-server resource-agents nginx

# The IETF base MIB modules (SNMPv2-SMI, ...) that our MIB imports are not in Debian. They
# are looked for beside this checkout (../shared/mibs), or beside the repository it was
# cloned from when that is a local directory; the tests say what to do when none is found.
ORIGIN := $(shell git remote get-url origin 2>/dev/null)
VACATAIRE_BASE_MIBS ?= $(firstword $(foreach dir,$(CURDIR)/../shared/mibs $(ORIGIN)/../shared/mibs,\
	$(if $(wildcard $(dir)/SNMPv2-SMI.txt),$(abspath $(dir)))))
export VACATAIRE_BASE_MIBS

.PHONY: deps build demo notify-demo test fuzz tsan bench clean templates deb

deps:
	@if [ "$$(id -u)" -ne 0 ]; then echo "make deps installs Debian packages: run it as root"; exit 1; fi
	@# A machine whose last install was cut off (power, a killed session) refuses every install
	@# until the half-configured packages are configured: finish that first.
	DEBIAN_FRONTEND=noninteractive dpkg --configure -a
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BUILD_PACKAGES) $(RUN_PACKAGES)
	@# snmpd, snmptrapd, prometheus, etcd and nginx start system services when installed; the
	@# tests need none of them (they start their own; nginx's would hold port 80).
	-systemctl disable --now snmpd snmptrapd prometheus etcd nginx >/dev/null 2>&1 || true

build: deps
	$(SWIFT) build

# Two agents on loopback with a real SMTP sink and trap receiver: failover, page, ack, failback.
demo: build
	bash Config/demo/pair-demo.sh .build/debug/vacataire

# Only the notification path: notify-test against a real SMTP sink and trap receiver.
notify-demo: build
	bash Config/demo/notify-demo.sh .build/debug/vacataire

# Our own sources must build without a warning; then the Debian package is built once
# (a release build; the package test installs it) and every test runs, TEST_WORKERS test
# processes at a time (most tests wait on real daemons, timers and servers rather than
# compute; every fixture takes its own ports, directories and namespaces). The closing
# lines are Tests/Fixtures/test_summary.py's: the slowest tests, then the counts.
TEST_WORKERS ?= 4
test: deps
	mkdir -p .build
	$(SWIFT) build --build-tests 2>&1 | tee .build/vacataire-build.log
	@if grep -E "^$(CURDIR)/(Sources|Tests)/.*warning:" .build/vacataire-build.log; then \
		echo "the build printed warnings in our own code (above)"; exit 1; fi
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) SWIFT=$(SWIFT) bash Tests/Fuzz/run.sh
	rm -rf .build/deb-test && SWIFT=$(SWIFT) bash Config/debian/build-deb.sh .build/deb-test
	rm -f .build/tests.xml; started=$$(date +%s); status=0; \
	VACATAIRE_DEB=$$(ls $(CURDIR)/.build/deb-test/vacataire_*.deb) $(SWIFT) test --skip-build --disable-swift-testing \
		--parallel --num-workers $(TEST_WORKERS) --xunit-output .build/tests.xml || status=$$?; \
	python3 Tests/Fixtures/test_summary.py .build/tests.xml $$(( $$(date +%s) - started )) && exit $$status

# libFuzzer targets (Tests/Fuzz): the configuration loader, templates, the peer datagram
# decoder and the control protocol decoder, each run FUZZ_SECONDS from its seed corpus
# (release build with -sanitize=fuzzer in .build-fuzz). `make test` runs each briefly,
# before the test suite, so that the suite's summary is the last line.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Tests/Fuzz/run.sh

# The whole test suite under ThreadSanitizer (slow: a separate build in .build-tsan).
# Real daemons run several times slower instrumented: waits and the pairs' timings are
# scaled (Repository.timeScale). Left out: the namespace suite, whose HAProxy and kernel
# timings do not stretch, and the Debian package (a release build).
tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/tsan-suppressions.txt" VACATAIRE_TEST_TIME_SCALE=4 \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --disable-swift-testing \
		--skip DebianPackageTests --skip OperatorScenarioTests

# The Debian package (Config/debian/): a stripped release build with the Swift runtime
# linked in, the unit, the example configuration, the MIB, manual pages and completions.
deb: deps
	SWIFT=$(SWIFT) bash Config/debian/build-deb.sh

# Figures of a real pair (memory, CPU, handoff, failback and takeover times), release
# build with the Swift runtime linked in (as the Debian package ships it), into Docs/BENCHMARKS.md: the loopback pair (pair-bench.sh, about a minute), its idle
# cost at 50 ms heartbeats and a 100 ms check (idle-bench.sh, about 3 minutes; BEFORE=an older
# binary and BEFORE_COMMIT=its commit put the two side by side, as instruction-counts.sh does), then the
# same binary and keepalived (Debian's, installed here when missing) side by side on three
# network-namespace hosts (failover-bench.sh, about 75 minutes: 12, and an hour of incidents
# before the footprint is measured again, SOAK_MINUTES=60; ROUNDS=20 by default), then
# instructions per heartbeat and per check under valgrind's callgrind (instruction-counts.sh,
# about 5 minutes), then mode etcd's takeover times and idle etcd requests on the lease lab
# (lease-bench.sh, about 5 minutes; the debug test bundle drives it), then the floating
# address's windows next to keepalived's on the same hosts (address-bench.sh, about 4 minutes).
bench: deps
	SWIFT=$(SWIFT) bash Config/link/release-build.sh .build-bench
	command -v keepalived >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends keepalived \
		&& (systemctl disable --now keepalived >/dev/null 2>&1 || true); }
	bash Tests/Benchmarks/pair-bench.sh .build-bench/release/vacataire
	bash Tests/Benchmarks/idle-bench.sh .build-bench/release/vacataire
	bash Tests/Benchmarks/failover-bench.sh .build-bench/release/vacataire
	bash Tests/Benchmarks/instruction-counts.sh .build-bench/release/vacataire
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) bash Tests/Benchmarks/lease-bench.sh .build-bench/release/vacataire
	SWIFT=$(SWIFT) bash Tests/Benchmarks/address-bench.sh .build-bench/release/vacataire
	VACATAIRE_BENCH=1 $(SWIFT) test -c release -Xswiftc -enable-testing --disable-swift-testing --filter PeerCodecCostTests 2>&1 | grep "peer codec cost"

# The default templates compiled into the binary, from Templates/ (a test fails while they differ).
templates:
	python3 Config/codegen/builtin-templates.py

clean:
	rm -rf .build .build-fuzz .build-tsan demo-out
