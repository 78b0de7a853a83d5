#!/usr/bin/env bash
# IN -> OUT (default 1280x720 -> 3840x2160) through pipes (YUV4MPEG2 4:2:0 in, YUV4MPEG2 out), everything in one run
# on the same input:
# unpaced fps of ffmpeg's bicubic and lanczos scalers and of lutscale with --model bicubic, the preview model and
# auto, each with its ratio to ffmpeg bicubic; then lutscale --preview paced at 30 fps, with the frames it dropped.
#
#   Tools/StreamBenchmark.sh [SECONDS]     SECONDS of Samples/cockatoo.mp4 retimed to 30 fps (default 5: 150 frames)
#
# Environment: SCRATCH (SwiftPM scratch path, default .build), REPEATS (rounds, each running every command once in
# turn; figures are medians of the rounds; default 3),
# LUTSCALE (a lutscale binary to time instead of building one), MODELS (more --model values to time unpaced after
# bicubic and the preview model; default auto), IN and OUT (sizes WxH: the sample is scaled to IN with Lanczos first,
# e.g. IN=960x540 for x4 to 4K, or OUT=3200x1800 for x2.5 from 720p).
# CPU is user + system seconds of the whole pipeline (the `cat` consumer included) per frame: the steadier figure
# on a shared machine, where wall-clock fps depends on what else runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}
seconds=${1:-5}
repeats=${REPEATS:-3}
in_size=${IN:-1280x720}
out_size=${OUT:-3840x2160}
out_w=${out_size%x*} out_h=${out_size#*x}

if [[ -n ${LUTSCALE:-} ]]; then
    lutscale=$LUTSCALE
else
    swift build -c release --scratch-path "$scratch" --product lutscale >&2
    lutscale="$scratch/release/lutscale"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Decoded once, so that every tool reads the same bytes and none pays for decoding. The sample's 20 fps frames
# are retimed to 30 fps (each frame kept once): a 30 fps source is what preview must keep up with.
ffmpeg -nostdin -v error -i Samples/cockatoo.mp4 -vf "setpts=N/30/TB,scale=${in_size/x/:}:flags=lanczos" -r 30 -t "$seconds" -pix_fmt yuv420p \
    -f yuv4mpegpipe "$work/in.y4m"
frames=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/in.y4m")

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed COMMAND: one run of a bash command line; its wall and CPU seconds in $wall and $cpu, its stderr in
# $work/stderr.
timed() {
    local t u s
    /usr/bin/time -f "%e %U %S" -o "$work/time" bash -c "set -o pipefail; $1" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    read -r t u s < <(tail -n 1 "$work/time")
    wall=$t
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')
}

fps() { awk -v f="$frames" -v s="$1" 'BEGIN {printf "%.1f", f / s}'; }
ms() { awk -v f="$frames" -v s="$1" 'BEGIN {printf "%.1f", 1000 * s / f}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { printf '%-54s %6s %13s %8s %8s %s\n' "$@"; }

# The preview model's name, from a short preview run's summary ("(preview: NAME)").
ffmpeg -nostdin -v error -i "$work/in.y4m" -frames:v 2 -f yuv4mpegpipe - \
    | "$lutscale" - -o - --size $out_size --preview 2>"$work/probe" >/dev/null || true
preview_model=$(grep -o '(preview: [^:)]*' "$work/probe" | sed 's/(preview: //' | head -n 1 || true)

labels=() commands=()
for flags in bicubic lanczos; do
    labels+=("ffmpeg -vf scale flags=$flags")
    commands+=("ffmpeg -nostdin -v error -f yuv4mpegpipe -i - -vf scale=$out_w:$out_h:flags=$flags -f yuv4mpegpipe - <'$work/in.y4m' | cat >/dev/null")
done
models=(bicubic)
[[ -n $preview_model ]] && models+=("$preview_model")
read -r -a more <<<"${MODELS:-auto}"
models+=("${more[@]}")
for model in "${models[@]}"; do
    label="lutscale --model $model"
    [[ $model == "$preview_model" ]] && label+=" (preview's)"
    labels+=("$label")
    commands+=("'$lutscale' - -o - --size $out_size --model '$model' -q <'$work/in.y4m' | cat >/dev/null")
done

# Each round runs every command once, in turn, so that each ratio compares runs made seconds apart: on a shared
# machine the speed of everything drifts from round to round. walls[c] and cpus[c]: command c's seconds per round.
walls=() cpus=()
for ((r = 0; r < repeats; r++)); do
    for c in "${!commands[@]}"; do
        timed "${commands[c]}"
        walls[c]+="$wall "
        cpus[c]+="$cpu "
    done
done

echo "input: $frames frames $in_size yuv420p y4m, 30 fps (Samples/cockatoo.mp4 retimed) -> $out_size, y4m to a pipe;"
echo "$repeats rounds, each running every line once in turn; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end"
echo "fps and CPU: medians of the rounds; ratios to ffmpeg bicubic: the median of the rounds' ratios (of fps, and of"
echo "CPU time per frame inverted: above 1, less CPU than ffmpeg), with their range"
row "unpaced" "fps" "CPU ms/frame" "fps" "CPU" "(fps ratio range)"
read -r -a base_walls <<<"${walls[0]}"
read -r -a base_cpus <<<"${cpus[0]}"
for c in "${!commands[@]}"; do
    read -r -a w <<<"${walls[c]}"
    read -r -a u <<<"${cpus[c]}"
    speed=() thrift=()
    for ((r = 0; r < repeats; r++)); do
        speed+=("$(ratio "${base_walls[r]}" "${w[r]}")")
        thrift+=("$(ratio "${base_cpus[r]}" "${u[r]}")")
    done
    low=$(printf '%s\n' "${speed[@]}" | sort -g | head -n 1) high=$(printf '%s\n' "${speed[@]}" | sort -g | tail -n 1)
    row "${labels[c]}" "$(fps "$(median "${w[@]}")")" "$(ms "$(median "${u[@]}")")" "$(median "${speed[@]}")" \
        "$(median "${thrift[@]}")" "($low-$high)"
done

# Preview: paced to the source's 30 fps; what the upscaler cannot keep up with is dropped before it is upscaled.
if [[ -z $preview_model ]]; then
    echo "preview: no preview model: $(tail -n 1 "$work/probe")"
    exit 0
fi
drops=() walls=() cpus=()
for ((r = 0; r < repeats; r++)); do
    timed "'$lutscale' - -o - --size $out_size --preview <'$work/in.y4m' | cat >/dev/null"
    drops+=("$(grep -o '[0-9]* frames dropped' "$work/stderr" | cut -d' ' -f1)")
    walls+=("$wall")
    cpus+=("$cpu")
done
echo "lutscale --preview ($preview_model), paced at 30 fps, $frames frames ($(awk -v f="$frames" 'BEGIN {printf "%.1f", f / 30}') s of video):"
echo "  frames dropped per run: ${drops[*]}; median $(median "${walls[@]}") s wall, $(ms "$(median "${cpus[@]}")") CPU ms/frame"
