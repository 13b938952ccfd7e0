#!/bin/bash
# Builds vacataire_VERSION_amd64.deb in the repository's top directory (`make deb`):
# a stripped release build with the Swift runtime linked in, the systemd units (the agent,
# and the drill's timer and service), the example
# configuration as a conffile, the MIB, manual pages and completions generated from the
# command-line definitions, and the docs. Needs dpkg-dev, gzip, binutils (build-essential).
#
#   Config/debian/build-deb.sh [OUTPUT_DIRECTORY]
#
# VACATAIRE_SCRATCH=DIR builds in DIR instead of .build (a test that runs inside
# `swift test`, which holds .build, needs a directory of its own).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=${1:-$root}
swift=${SWIFT:-swift}
scratch=${VACATAIRE_SCRATCH:-$root/.build}
export VACATAIRE_SCRATCH=$scratch

# The package's version is the agent's (VacataireCore.version) and a Debian revision, as
# the first entry of Config/debian/changelog says (0.1.0-1).
upstream=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/VacataireCore/VacataireCore.swift)
[ -n "$upstream" ] || { echo "no version in Sources/VacataireCore/VacataireCore.swift" >&2; exit 1; }
version=$(sed -n '1s/^vacataire (\([^)]*\)).*/\1/p' Config/debian/changelog)
if [ "${version%-*}" != "$upstream" ]; then
    echo "Config/debian/changelog is at $version but the agent is $upstream: add an entry ($upstream-1)" >&2
    exit 1
fi
arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || echo "note: building for $arch" >&2

echo "== release build (static Swift runtime, the idle loop's functions together: Config/link)"
binary=$(SWIFT=$swift bash Config/link/release-build.sh "$scratch" | tail -1)

stage=$scratch/deb/vacataire_${version}_${arch}
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/vacataire" \
    "$stage/usr/share/snmp/mibs" "$stage/usr/share/man/man1" "$stage/usr/share/doc/vacataire" \
    "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"

install -m 0755 "$binary" "$stage/usr/bin/vacataire"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/vacataire"
install -m 0644 Config/vacataire.service "$stage/lib/systemd/system/vacataire.service"
# The monthly failover drill (Docs/drill.md): shipped, enabled by the administrator.
install -m 0644 Config/vacataire-drill.service "$stage/lib/systemd/system/vacataire-drill.service"
install -m 0644 Config/vacataire-drill.timer "$stage/lib/systemd/system/vacataire-drill.timer"
# The commented example, with the package's `vacataire` group allowed on the control socket.
sed 's/^  # group: vacataire$/  group: vacataire/' Config/vacataire.example.yaml > "$stage/etc/vacataire/vacataire.yaml"
grep -q '^  group: vacataire$' "$stage/etc/vacataire/vacataire.yaml" \
    || { echo "Config/vacataire.example.yaml lost its '  # group: vacataire' line" >&2; exit 1; }
chmod 0644 "$stage/etc/vacataire/vacataire.yaml"
install -m 0644 Docs/mibs/LE-VACATAIRE-MIB.txt "$stage/usr/share/snmp/mibs/LE-VACATAIRE-MIB.txt"
# Yams (the YAML parser) compiles libyaml's C sources into the binary: it has no way to use
# Debian's libyaml, so lintian's embedded-library error is overridden, with this reason.
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 Config/debian/lintian-overrides "$stage/usr/share/lintian/overrides/vacataire"

echo "== manual pages and completions, from the command-line definitions"
Config/debian/generate-manuals.sh "$binary" "$stage/usr/share/man/man1"
# bash-completion sources the file: no #! line.
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/vacataire"
"$binary" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_vacataire"
"$binary" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/vacataire.fish"
chmod 0644 "$stage"/usr/share/*/completions/vacataire "$stage"/usr/share/zsh/vendor-completions/_vacataire \
    "$stage"/usr/share/fish/vendor_completions.d/vacataire.fish

echo "== docs"
install -m 0644 Config/debian/copyright "$stage/usr/share/doc/vacataire/copyright"
gzip -9n < Config/debian/changelog > "$stage/usr/share/doc/vacataire/changelog.Debian.gz"
install -m 0644 README.md "$stage/usr/share/doc/vacataire/README.md"
install -d "$stage/usr/share/doc/vacataire/Docs"
for doc in Docs/*.md; do
    install -m 0644 "$doc" "$stage/usr/share/doc/vacataire/Docs/"
done
install -d "$stage/usr/share/doc/vacataire/examples"
install -m 0644 Config/vacataire.example.yaml "$stage/usr/share/doc/vacataire/examples/"
# The loopback pair of Docs/getting-started.md: copy the directory, add a key, run both.
install -d "$stage/usr/share/doc/vacataire/examples/pair"
install -m 0644 Config/pair/master.yaml Config/pair/standby.yaml "$stage/usr/share/doc/vacataire/examples/pair/"
install -m 0755 Config/pair/service.sh Config/pair/app-check.sh "$stage/usr/share/doc/vacataire/examples/pair/"
# Three nodes electing their server through etcd (Docs/etcd.md), a pair with a floating
# address and no load balancer (Docs/addresses.md), OCF resource agents (Docs/ocf.md).
for example in etcd vip ocf; do
    [ -d "Config/$example" ] || continue
    install -d "$stage/usr/share/doc/vacataire/examples/$example"
    install -m 0644 Config/$example/*.yaml "$stage/usr/share/doc/vacataire/examples/$example/"
done
# snmpd.conf lines for the AgentX subagent (Docs/snmp.md, "Polling the agent").
install -d "$stage/usr/share/doc/vacataire/examples/snmp"
install -m 0644 Config/snmp/snmpd-vacataire.conf "$stage/usr/share/doc/vacataire/examples/snmp/"
if [ -d Config/monitoring ]; then
    cp -r Config/monitoring "$stage/usr/share/doc/vacataire/examples/monitoring"
    find "$stage/usr/share/doc/vacataire/examples/monitoring" -type f -exec chmod 0644 {} +
fi

echo "== control files"
for script in postinst prerm postrm; do
    install -m 0755 "Config/debian/$script" "$stage/DEBIAN/$script"
done
echo /etc/vacataire/vacataire.yaml > "$stage/DEBIAN/conffiles"
# The shared libraries the binary links (libcurl, Net-SNMP, SQLite, glibc...), as Debian names them.
shlibs=$(mktemp -d)
mkdir -p "$shlibs/debian"
printf 'Source: vacataire\n\nPackage: vacataire\nArchitecture: any\n' > "$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O "$stage/usr/bin/vacataire" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs"
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependency of the binary" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" Config/debian/control.in > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/vacataire_${version}_${arch}.deb"
ls -l "$out/vacataire_${version}_${arch}.deb"
