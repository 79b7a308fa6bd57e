#!/bin/sh
# Renders loss.svg plots to PNG with headless Chromium, to check that they
# look right (labels readable, nothing overlapping, the legend off the data).
#
#   docs/render_plots.sh [FILE.svg ...]
#       FILE.png beside each FILE.svg; without arguments, every docs/*.svg.
#   docs/render_plots.sh --plot METRICS.csv OUT.svg [TITLE]
#       draws OUT.svg from a run's metrics.csv as the trainer does (through
#       docs/plot_metrics.c, built against the runtime), then renders it.
#       A file with accuracy columns is plotted as classification.
#   docs/render_plots.sh --samples [DIR]
#       writes the plot of every case of tests/test_metrics_plot.c into DIR
#       (default build/plot_samples) and renders them all.
#   docs/render_plots.sh --sweep-samples [DIR]
#       the same for the sweep plots (curve.svg, curves.svg) of every case
#       of tests/test_plot_sweep.c (default DIR build/plot_sweep_samples);
#       its sweep_example_* cases are the pictures docs/sweep_example_*.png.
#
# SCALE (default 2) is the device pixel ratio of the PNGs. Chromium is
# Debian's (apt-get install chromium); when missing it is installed, as
# root or through sudo.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD_DIR:-$root/build}
scale=${SCALE:-2}
chromium=/usr/bin/chromium

need_chromium() {
    [ -x "$chromium" ] && return 0
    echo "render_plots: installing chromium" >&2
    if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium
}

# The SVG's width and height attributes (of its root element).
svg_size() {
    sed -n 's/.*<svg [^>]*width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$1" | head -n 1
}

render() {
    svg=$1
    png=${svg%.svg}.png
    size=$(svg_size "$svg")
    [ -n "$size" ] || { echo "render_plots: $svg: no width and height" >&2; return 1; }
    abs=$(cd "$(dirname "$svg")" && pwd)/$(basename "$svg")
    # A throwaway profile: no first-run state, nothing left in $HOME.
    profile=$(mktemp -d)
    "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
        --force-device-scale-factor="$scale" --window-size="$size" --screenshot="$png" \
        "file://$abs" >/dev/null 2>&1
    rm -rf "$profile"
    [ -s "$png" ] || { echo "render_plots: $svg: chromium wrote no $png" >&2; return 1; }
    echo "$png"
}

plot_metrics() {
    exe=$build/plot_metrics
    cc=${CC:-clang}
    command -v "$cc" >/dev/null 2>&1 || cc=cc
    "$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -O2 -I"$root/runtime" -I"$root/common" -o "$exe" \
        "$here/plot_metrics.c" "$root/runtime/metrics_csv.c" "$root/runtime/plot_svg.c" \
        "$root/runtime/plot_axes.c" "$root/common/atomic_file.c" "$root/common/file_read.c" -lz -lm
    "$exe" "$@"
}

case ${1-} in
--plot)
    shift
    [ $# -ge 2 ] || { echo "usage: $0 --plot METRICS.csv OUT.svg [TITLE]" >&2; exit 2; }
    need_chromium
    plot_metrics "$@"
    render "$2"
    ;;
--samples)
    dir=${2:-$build/plot_samples}
    need_chromium
    mkdir -p "$dir"
    cmake --build "$build" --target test_metrics_plot >/dev/null
    (cd "$build" && RF_PLOT_SAMPLES=$(cd "$dir" && pwd) ./test_metrics_plot >/dev/null)
    for svg in "$dir"/*.svg; do render "$svg"; done
    ;;
--sweep-samples)
    dir=${2:-$build/plot_sweep_samples}
    need_chromium
    mkdir -p "$dir"
    cmake --build "$build" --target test_plot_sweep >/dev/null
    (cd "$build" && RF_PLOT_SAMPLES=$(cd "$dir" && pwd) ./test_plot_sweep >/dev/null)
    for svg in "$dir"/*.svg; do render "$svg"; done
    ;;
-h | --help)
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    ;;
*)
    need_chromium
    if [ $# -eq 0 ]; then set -- "$here"/*.svg; fi
    for svg in "$@"; do render "$svg"; done
    ;;
esac
