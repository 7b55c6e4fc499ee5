#!/bin/sh
# Renders `torqlog trace RUN_ID` as SVG and HTML, and both as PNG screenshots
# with headless Chromium, for a person to look at.
#
#   scripts/render-trace.sh RUN_ID [DIR]
#
# DIR (default: ./trace-RUN_ID) receives trace.svg, trace.html, trace-svg.png
# and trace-html.png. The store is the usual one: --dir through $TORQLOG_DIR,
# else ~/.torqlog. $TORQLOG_BIN picks the binary (default: torqlog on PATH,
# else .build/release/torqlog, else .build/debug/torqlog); $CHROMIUM the
# browser (default: chromium or chromium-browser on PATH). Chromium is not
# installed by the Makefile: `apt-get install chromium` on Debian.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 RUN_ID [DIR]" >&2
  exit 2
fi
run=$1
dir=${2:-./trace-$run}

bin=${TORQLOG_BIN:-}
if [ -z "$bin" ]; then
  for candidate in "$(command -v torqlog 2>/dev/null || true)" .build/release/torqlog .build/debug/torqlog; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin=$candidate; break; fi
  done
fi
if [ -z "$bin" ]; then
  echo "$0: no torqlog binary: build it (swift build -c release --product torqlog) or set TORQLOG_BIN" >&2
  exit 1
fi

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  browser=$(command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true)
fi
if [ -z "$browser" ]; then
  echo "$0: chromium not found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 1
fi

mkdir -p "$dir"
"$bin" trace "$run" --format svg --output "$dir/trace.svg"
"$bin" trace "$run" --format html --output "$dir/trace.html"

# The picture's own size, from the <svg> element, so nothing is cut off.
width=$(sed -n 's/.*<svg [^>]*width="\([0-9]*\)".*/\1/p' "$dir/trace.svg" | head -n 1)
height=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' "$dir/trace.svg" | head -n 1)
width=${width:-1200}
height=${height:-800}
# Headless screenshots are limited in size; very long traces are cut at the bottom.
[ "$height" -gt 16000 ] && height=16000

abs_dir=$(cd "$dir" && pwd)
shoot() { # URL FILE WIDTH HEIGHT
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --window-size="$3,$4" --screenshot="$2" "$1" >/dev/null 2>&1
}
shoot "file://$abs_dir/trace.svg" "$abs_dir/trace-svg.png" "$width" "$height"
shoot "file://$abs_dir/trace.html" "$abs_dir/trace-html.png" "$((width + 40))" "$((height + 320))"
echo "$dir/trace.svg $dir/trace.html $dir/trace-svg.png $dir/trace-html.png"
