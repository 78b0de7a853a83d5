#!/usr/bin/env bash
# Times lutscale (release build) against ffmpeg's own scaler on the same input in the same run, and checks that
# lutscale's peak memory does not grow with the input's length.
#
#   Tools/PipelineBenchmark.sh [SECONDS]     SECONDS of Samples/cockatoo.mp4 (720p, 20 fps) for the speed runs (default 5)
#
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

# run LABEL COMMAND...: runs it REPEATS times; sets $seconds_taken (median wall time) and $peak_kb (largest peak RSS).
run() {
    local times=() peak=0 t kb
    for ((i = 0; i < repeats; i++)); do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
        read -r t kb <"$work/time"
        times+=("$t")
        ((kb > peak)) && peak=$kb
    done
    seconds_taken=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    peak_kb=$peak
}

fps() { awk -v f="$1" -v s="$2" 'BEGIN {printf "%.1f", f / s}'; }

echo "input: $frames frames of Samples/cockatoo.mp4 (1280x720 yuv444p), median of $repeats runs, $(nproc) cores"
printf '%-34s %10s %10s %8s\n' "case" "ffmpeg fps" "ours fps" "ours/ff"
for size in 2560x1440 3840x2160; do
    w=${size%x*}
    h=${size#*x}
    for kernel in bicubic lanczos; do
        model=$([[ $kernel == lanczos ]] && echo lanczos3 || echo bicubic)
        run ffmpeg -nostdin -v error -i "$work/in.mp4" -vf "scale=$w:$h:flags=$kernel" -c:v rawvideo -c:a copy -f null -
        ff=$(fps "$frames" "$seconds_taken")
        run "$lutscale" "$work/in.mp4" -o /dev/null --format null --codec rawvideo --size "$size" --model "$model" -q
        ours=$(fps "$frames" "$seconds_taken")
        printf '%-34s %10s %10s %8s\n' "$size $kernel, raw to null" "$ff" "$ours" "$(awk -v a="$ours" -v b="$ff" 'BEGIN {printf "%.2f", a / b}')"

        run bash -c "ffmpeg -nostdin -v error -i '$work/in.mp4' -vf 'scale=$w:$h:flags=$kernel' -c:v rawvideo -c:a copy -f nut - | cat >/dev/null"
        ff=$(fps "$frames" "$seconds_taken")
        run bash -c "'$lutscale' '$work/in.mp4' -o /dev/stdout --format nut --codec rawvideo --size $size --model $model -q | cat >/dev/null"
        ours=$(fps "$frames" "$seconds_taken")
        printf '%-34s %10s %10s %8s\n' "$size $kernel, raw nut on a pipe" "$ff" "$ours" "$(awk -v a="$ours" -v b="$ff" 'BEGIN {printf "%.2f", a / b}')"

        run ffmpeg -nostdin -v error -y -i "$work/in.mp4" -vf "scale=$w:$h:flags=$kernel" -c:v libx264 -crf 18 -preset ultrafast -c:a copy "$work/ff.mp4"
        ff=$(fps "$frames" "$seconds_taken")
        run "$lutscale" "$work/in.mp4" -o "$work/ours.mp4" -y --size "$size" --model "$model" --crf 18 --preset ultrafast -q
        ours=$(fps "$frames" "$seconds_taken")
        printf '%-34s %10s %10s %8s\n' "$size $kernel, x264 ultrafast file" "$ff" "$ours" "$(awk -v a="$ours" -v b="$ff" 'BEGIN {printf "%.2f", a / b}')"
    done
done

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
