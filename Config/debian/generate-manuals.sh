#!/bin/bash
# Writes vacataire's manual pages (section 1: vacataire.1 and one vacataire-COMMAND.1 per
# subcommand, gzipped) from its command-line definitions, with swift-argument-parser's
# generate-manual: the tool behind its `generate-manual` package plugin, run here on the
# binary already built (the plugin would build the whole package a second time, without
# --static-swift-stdlib: many more minutes).
#
#   Config/debian/generate-manuals.sh BINARY OUTPUT_DIRECTORY
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$1
output=$2
swift=${SWIFT:-swift}
scratch=${VACATAIRE_SCRATCH:-$PWD/.build}
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)

"$swift" build --scratch-path "$scratch" --product generate-manual >/dev/null
tool=$("$swift" build --scratch-path "$scratch" --show-bin-path)/generate-manual
pages_directory=$(mktemp -d)
trap 'rm -rf "$pages_directory"' EXIT
"$tool" "$binary" --multi-page --date "$date" --authors "Le Vacataire team" --output-directory "$pages_directory"
mkdir -p "$output"
pages=$(find "$pages_directory" -name '*.1' | sort)
[ -n "$pages" ] || { echo "generate-manual wrote no page" >&2; exit 1; }
# vacataire.init.1 -> vacataire-init.1, as Debian names a subcommand's page; references
# to it inside the pages follow (vacataire.yaml and other words stay).
commands=$(for page in $pages; do basename "$page" .1; done | sed -n 's/^vacataire\.//p' | sort -r | paste -sd'|')
count=0
for page in $pages; do
    name=$(basename "$page" .1 | tr . -)
    words=$(basename "$page" .1 | tr . ' ')
    # NAME says vacataire-ack (what `man` and whatis look up); SYNOPSIS shows `vacataire ack`.
    sed -E -e "s/\b(vacataire|VACATAIRE)\.(${commands}|${commands^^})\b/\1-\2/g" \
        -e "/^\.Sh NAME\$/,/^\.Sh SYNOPSIS\$/ s/^\.Nm \"$words\"\$/.Nm $name/" \
        -e "/^\.Sh SYNOPSIS\$/ {n; s/^\.Nm\$/.Nm \"$words\"/}" \
        "$page" | gzip -9n > "$output/$name.1.gz"
    chmod 0644 "$output/$name.1.gz"
    count=$((count + 1))
done
echo "$count manual page(s) in $output"
