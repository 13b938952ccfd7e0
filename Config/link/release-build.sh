#!/bin/bash
# The release build we ship (Config/debian/build-deb.sh) and measure (`make bench`): the
# Swift runtime linked in, and the functions an idle agent runs laid out together
# (vacataire.order, read by lld's --symbol-ordering-file; every function in a section of its
# own so that the linker can move it). The kernel maps a binary's code 64 KiB around each
# page an agent touches, so scattered functions keep about twice the code resident; a
# symbol the order names but the code no longer has is skipped without a word
# (regenerate-order.sh refreshes the file). Prints the binary's path on its last line.
#
#   Config/link/release-build.sh SCRATCH_PATH
set -euo pipefail
cd "$(dirname "$0")/../.."
swift=${SWIFT:-swift}
scratch=${1:?"usage: $0 SCRATCH_PATH"}
# Swift's toolchains for Linux ship lld beside swift; Debian's `lld` package will do too.
if ! command -v ld.lld >/dev/null && [ ! -x "$(dirname "$(command -v "$swift")")/ld.lld" ]; then
    echo "ld.lld is missing: it comes with Swift's toolchain, or apt-get install lld" >&2
    exit 1
fi
flags=(-c release --scratch-path "$scratch" --product vacataire --static-swift-stdlib
       -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xswiftc -use-ld=lld
       -Xlinker "--symbol-ordering-file=$PWD/Config/link/vacataire.order" -Xlinker --no-warn-symbol-ordering)
bin=$("$swift" build "${flags[@]}" --show-bin-path)
# SwiftPM does not know the order file is an input of the link: an order newer than the
# binary makes it link again.
if [ -e "$bin/vacataire" ] && [ "Config/link/vacataire.order" -nt "$bin/vacataire" ]; then
    rm -f "$bin/vacataire"
fi
"$swift" build "${flags[@]}" >&2
echo "$bin/vacataire"
