#!/usr/bin/env bash
# Times lutscale (release build) against ffmpeg's own scaler on the same input in the same run, and checks that
# lutscale's peak memory does not grow with the input's length.
#
#   Tools/PipelineBenchmark.sh [SECONDS]     SECONDS of Samples/cockatoo.mp4 (720p, 20 fps) for the speed runs (default 5)
#
# Cases: --model bicubic / lanczos3 against ffmpeg's scaler of the same name (raw to null, raw on a pipe, x264
# ultrafast), then the default model against ffmpeg lanczos with the same encoder: 4K ultrafast, x2 medium and x2.5
# medium (the any-scale model).
# Environment: SCRATCH (SwiftPM scratch path, default .build), REPEATS (runs per figure, median taken; default 3),
# RSS_SECONDS (seconds of the sample for the short memory run, default 14 = all of it; the long run is 6 times that).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}
seconds=${1:-5}
repeats=${REPEATS:-3}
rss_seconds=${RSS_SECONDS:-14}

swift build -c release --scratch-path "$scratch" --product lutscale >&2
lutscale="$scratch/release/lutscale"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ffmpeg -nostdin -v error -i Samples/cockatoo.mp4 -t "$seconds" -c copy "$work/in.mp4"
frames=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$work/in.mp4")

# run COMMAND...: runs it REPEATS times; sets $seconds_taken and $cpu_taken (medians of wall and user+system
# seconds) and $peak_kb (largest peak RSS). CPU time is the steadier figure on a machine shared with other work.
run() {
    local times=() cpus=() peak=0 t u s kb
    for ((i = 0; i < repeats; i++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
        read -r t u s kb <"$work/time"
        times+=("$t")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
        ((kb > peak)) && peak=$kb
    done
    seconds_taken=$(median "${times[@]}")
    cpu_taken=$(median "${cpus[@]}")
    peak_kb=$peak
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

fps() { awk -v f="$1" -v s="$2" 'BEGIN {printf "%.1f", f / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
ms_per_frame() { awk -v f="$1" -v s="$2" 'BEGIN {printf "%.1f", 1000 * s / f}'; }

# compare LABEL FFMPEG-COMMAND LUTSCALE-COMMAND (each a single string run by bash)
compare() {
    run bash -c "$2"
    local ff_fps ff_cpu
    ff_fps=$(fps "$frames" "$seconds_taken")
    ff_cpu=$(ms_per_frame "$frames" "$cpu_taken")
    run bash -c "$3"
    local our_fps our_cpu
    our_fps=$(fps "$frames" "$seconds_taken")
    our_cpu=$(ms_per_frame "$frames" "$cpu_taken")
    printf '%-36s %8s %8s %6s %10s %10s %6s\n' "$1" "$ff_fps" "$our_fps" "$(ratio "$our_fps" "$ff_fps")" \
        "$ff_cpu" "$our_cpu" "$(ratio "$ff_cpu" "$our_cpu")"
}

echo "input: $frames frames of Samples/cockatoo.mp4 (1280x720 yuv444p), median of $repeats runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-36s %8s %8s %6s %10s %10s %6s\n' "case" "ff fps" "our fps" "ratio" "ff cpu ms" "our cpu ms" "ratio"
in="$work/in.mp4"
for size in 2560x1440 3840x2160; do
    w=${size%x*}
    h=${size#*x}
    for kernel in bicubic lanczos; do
        model=$([[ $kernel == lanczos ]] && echo lanczos3 || echo bicubic)
        scale="scale=$w:$h:flags=$kernel"
        ours="'$lutscale' '$in' --size $size --model $model -q"
        compare "$size $kernel, raw to null" \
            "ffmpeg -nostdin -v error -i '$in' -vf $scale -c:v rawvideo -c:a copy -f null -" \
            "$ours -o /dev/null --format null --codec rawvideo"
        compare "$size $kernel, raw nut on a pipe" \
            "ffmpeg -nostdin -v error -i '$in' -vf $scale -c:v rawvideo -c:a copy -f nut - | cat >/dev/null" \
            "$ours -o /dev/stdout --format nut --codec rawvideo | cat >/dev/null"
        compare "$size $kernel, x264 ultrafast file" \
            "ffmpeg -nostdin -v error -y -i '$in' -vf $scale -c:v libx264 -crf 18 -preset ultrafast -c:a copy '$work/ff.mp4'" \
            "$ours -o '$work/ours.mp4' -y --crf 18 --preset ultrafast"
    done
done
# The product's own jobs: the default model (auto) against ffmpeg's lanczos with the same encoder settings.
compare "3840x2160 auto vs lanczos, x264 ultrafast" \
    "ffmpeg -nostdin -v error -y -i '$in' -vf scale=3840:2160:flags=lanczos -c:v libx264 -crf 18 -preset ultrafast -c:a copy '$work/ff.mp4'" \
    "'$lutscale' '$in' --size 3840x2160 -q -o '$work/ours.mp4' -y --crf 18 --preset ultrafast"
compare "2560x1440 auto vs lanczos, x264 medium" \
    "ffmpeg -nostdin -v error -y -i '$in' -vf scale=2560:1440:flags=lanczos -c:v libx264 -crf 18 -preset medium -c:a copy '$work/ff.mp4'" \
    "'$lutscale' '$in' --scale 2 -q -o '$work/ours.mp4' -y --crf 18"
compare "3200x1800 auto (any-scale) vs lanczos, x264 medium" \
    "ffmpeg -nostdin -v error -y -i '$in' -vf scale=3200:1800:flags=lanczos -c:v libx264 -crf 18 -preset medium -c:a copy '$work/ff.mp4'" \
    "'$lutscale' '$in' --scale 2.5 -q -o '$work/ours.mp4' -y --crf 18"
echo "ratio columns: above 1 means lutscale is faster (fps) or uses less CPU per frame"

# Peak memory must not grow with the input: the same clip once and six times over (-stream_loop 5).
ffmpeg -nostdin -v error -i Samples/cockatoo.mp4 -t "$rss_seconds" -c copy "$work/short.mp4"
ffmpeg -nostdin -v error -stream_loop 5 -i "$work/short.mp4" -c copy "$work/long.mp4"
repeats=1
echo
printf '%-44s %12s %12s %8s\n' "peak RSS (--scale 2, x264 ultrafast file)" "short (MiB)" "6x (MiB)" "6x/short"
for tool in ffmpeg lutscale; do
    for clip in short long; do
        if [[ $tool == ffmpeg ]]; then
            run ffmpeg -nostdin -v error -y -i "$work/$clip.mp4" -vf "scale=2560:1440:flags=lanczos" -c:v libx264 -crf 18 -preset ultrafast -c:a copy "$work/rss.mp4"
        else
            run "$lutscale" "$work/$clip.mp4" -o "$work/rss.mp4" -y --scale 2 --crf 18 --preset ultrafast -q
        fi
        declare "${clip}_kb=$peak_kb"
    done
    ratio=$(awk -v a="$long_kb" -v b="$short_kb" 'BEGIN {printf "%.2f", a / b}')
    printf '%-44s %12d %12d %8s\n' "$tool" $((short_kb / 1024)) $((long_kb / 1024)) "$ratio"
done
verdict=$(awk -v r="$ratio" 'BEGIN {print (r <= 1.25) ? "PASS" : "FAIL"}')
echo "lutscale 6x/short peak RSS $ratio (bound 1.25): $verdict"
[[ $verdict == PASS ]]
