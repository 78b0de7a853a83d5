#!/usr/bin/env bash
# 1280x720 -> 3840x2160 through pipes (YUV4MPEG2 in, YUV4MPEG2 out): lutscale unpaced beside ffmpeg's bicubic
# scaler on the same input in the same run, then lutscale --preview (paced to the source rate: frames dropped).
#
#   Tools/StreamBenchmark.sh [SECONDS]     SECONDS of Samples/cockatoo.mp4 (720p, 20 fps) as yuv420p (default 5)
#
# Environment: SCRATCH (SwiftPM scratch path, default .build), REPEATS (runs per figure, median; default 3),
# MODEL (lutscale --model, default auto: the fastest shipped LUT model for the scale).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}
seconds=${1:-5}
repeats=${REPEATS:-3}
model=${MODEL:-auto}

swift build -c release --scratch-path "$scratch" --product lutscale >&2
lutscale="$scratch/release/lutscale"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Decoded once, so that both tools read the same bytes and neither pays for decoding.
ffmpeg -nostdin -v error -i Samples/cockatoo.mp4 -t "$seconds" -pix_fmt yuv420p -f yuv4mpegpipe "$work/in.y4m"
frames=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/in.y4m")

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed COMMAND: median wall seconds of REPEATS runs of a bash command line, in $taken; its stderr in $work/stderr.
timed() {
    local times=() t
    for ((i = 0; i < repeats; i++)); do
        /usr/bin/time -f "%e" -o "$work/time" bash -c "set -o pipefail; $1" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
        t=$(tail -n 1 "$work/time")
        times+=("$t")
    done
    taken=$(median "${times[@]}")
}

fps() { awk -v f="$1" -v s="$2" 'BEGIN {printf "%.2f", f / s}'; }

echo "input: $frames frames 1280x720 yuv420p y4m (Samples/cockatoo.mp4, 20 fps), -> 3840x2160, median of $repeats runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
timed "ffmpeg -nostdin -v error -f yuv4mpegpipe -i - -vf scale=3840:2160:flags=bicubic -f yuv4mpegpipe - <'$work/in.y4m' | cat >/dev/null"
ff_fps=$(fps "$frames" "$taken")
timed "'$lutscale' - -o - --size 3840x2160 --model $model <'$work/in.y4m' | cat >/dev/null"
our_fps=$(fps "$frames" "$taken")
used=$(grep -o '([^)]*)' "$work/stderr" | tail -n 1)
# The same kernel as ffmpeg's: what the pipes and stages cost beside the upscaler itself.
timed "'$lutscale' - -o - --size 3840x2160 --model bicubic <'$work/in.y4m' | cat >/dev/null"
bicubic_fps=$(fps "$frames" "$taken")
ratio() { awk -v a="$1" -v b="$ff_fps" 'BEGIN {printf "%.3f", a / b}'; }
printf '%-40s %8s fps\n' "ffmpeg scale flags=bicubic" "$ff_fps"
printf '%-40s %8s fps  ratio to ffmpeg %s\n' "lutscale --model $model $used" "$our_fps" "$(ratio "$our_fps")"
printf '%-40s %8s fps  ratio to ffmpeg %s\n' "lutscale --model bicubic" "$bicubic_fps" "$(ratio "$bicubic_fps")"

# Preview: real time at the source's 20 fps; what the upscaler cannot keep up with is dropped, not queued.
repeats=1
timed "'$lutscale' - -o - --size 3840x2160 --model $model --preview <'$work/in.y4m' | cat >/dev/null"
summary=$(tail -n 1 "$work/stderr")
echo "preview ($taken s wall for $(awk -v f="$frames" 'BEGIN {printf "%.1f", f / 20}') s of video): ${summary#lutscale: }"
