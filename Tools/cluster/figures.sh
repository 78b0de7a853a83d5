#!/usr/bin/env bash
# Figures for issue #19 (not a test): the cost of segmenting on one machine (a whole run against the same job in
# segments) and lutscale-ray with 1 and 2 local workers, on the bundled sample re-encoded with a keyframe every
# second. Needs a release build (swift build -c release) and, for the Ray rows, Ray (Tools/cluster/setup.sh).
# Usage: Tools/cluster/figures.sh [SEGMENT_SECONDS] [lutscale options...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
lutscale="${LUTSCALE:-$root/.build/release/lutscale}"
seconds="${1:-2}"; shift || true
options=("$@"); ((${#options[@]})) || options=(--scale 2 --preset veryfast)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
ffmpeg -nostdin -v error -i "$root/Samples/cockatoo.mp4" -c:v libx264 -crf 18 -g 20 -c:a copy "$work/in.mp4"
now() { date +%s.%N; }
# Wall seconds, and CPU seconds (user + system) of the process and its children: on a shared machine the CPU time
# is the steadier measure of what segmenting costs.
timed() { /usr/bin/time -f "%e s wall, %U + %S s CPU" -o "$work/time" "$@" >/dev/null 2>&1; cat "$work/time"; }
segments=$("$lutscale" segments "$work/in.mp4" --segment-seconds "$seconds" | wc -l)
echo "input: Samples/cockatoo.mp4 with a keyframe every 20 frames (280 frames, 1280x720); options: ${options[*]}"
whole=$(timed "$lutscale" "$work/in.mp4" -o "$work/whole.mkv" "${options[@]}" --segment-seconds 0 -y -q)
echo "one run:                         $whole"
seg=$(timed "$lutscale" "$work/in.mp4" -o "$work/seg.mkv" "${options[@]}" --segment-seconds "$seconds" -y -q)
echo "segmented ($segments segments of ${seconds} s): $seg"
if python3 -c "import ray" 2>/dev/null; then
    for workers in 1 2; do
        t=$(RAY_AUTH_MODE=disabled timed "$root/Tools/cluster/lutscale-ray" "$work/in.mp4" -o "$work/ray$workers.mkv" "${options[@]}" -y \
            --workers "$workers" --segment-seconds "$seconds" --lutscale "$lutscale")
        echo "lutscale-ray, $workers local worker(s): $t (wall includes Ray start-up; CPU is the driver's only)"
    done
fi
