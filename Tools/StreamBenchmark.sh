#!/usr/bin/env bash
# IN -> OUT (default 1280x720 -> 3840x2160) through pipes (YUV4MPEG2 4:2:0 in, YUV4MPEG2 out), everything in one run
# on the same input:
# unpaced fps of ffmpeg's bicubic and lanczos scalers and of lutscale with --model bicubic, the preview model and
# auto, each with its ratio to ffmpeg bicubic; then lutscale --preview paced at 30 fps, with the frames it dropped.
#
#   Tools/StreamBenchmark.sh [SECONDS]     SECONDS of Samples/cockatoo.mp4 retimed to 30 fps (default 5: 150 frames)
#
# Environment: SCRATCH (SwiftPM scratch path, default .build), REPEATS (runs per figure, median; default 3),
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

# timed COMMAND: REPEATS runs of a bash command line; medians of wall and CPU seconds in $wall and $cpu, the last
# run's stderr in $work/stderr.
timed() {
    local walls=() cpus=() t u s
    for ((i = 0; i < repeats; i++)); do
        /usr/bin/time -f "%e %U %S" -o "$work/time" bash -c "set -o pipefail; $1" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
        read -r t u s < <(tail -n 1 "$work/time")
        walls+=("$t")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
    done
    wall=$(median "${walls[@]}")
    cpu=$(median "${cpus[@]}")
}

fps() { awk -v f="$frames" -v s="$1" 'BEGIN {printf "%.1f", f / s}'; }
ms() { awk -v f="$frames" -v s="$1" 'BEGIN {printf "%.1f", 1000 * s / f}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { printf '%-54s %6s %13s %8s %8s\n' "$@"; }

# The preview model's name, from a short preview run's summary ("(preview: NAME)").
ffmpeg -nostdin -v error -i "$work/in.y4m" -frames:v 2 -f yuv4mpegpipe - \
    | "$lutscale" - -o - --size $out_size --preview 2>"$work/probe" >/dev/null || true
preview_model=$(grep -o '(preview: [^:)]*' "$work/probe" | sed 's/(preview: //' | head -n 1 || true)

echo "input: $frames frames $in_size yuv420p y4m, 30 fps (Samples/cockatoo.mp4 retimed) -> $out_size, y4m to a pipe;"
echo "median of $repeats runs; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at start"
echo "ratios to ffmpeg bicubic: of fps, and of CPU time per frame inverted (above 1: less CPU than ffmpeg)"
row "unpaced" "fps" "CPU ms/frame" "fps" "CPU"
ff_fps= ff_ms=
for flags in bicubic lanczos; do
    timed "ffmpeg -nostdin -v error -f yuv4mpegpipe -i - -vf scale=$out_w:$out_h:flags=$flags -f yuv4mpegpipe - <'$work/in.y4m' | cat >/dev/null"
    ff_fps=${ff_fps:-$(fps "$wall")}
    ff_ms=${ff_ms:-$(ms "$cpu")}
    row "ffmpeg -vf scale flags=$flags" "$(fps "$wall")" "$(ms "$cpu")" "$(ratio "$(fps "$wall")" "$ff_fps")" "$(ratio "$ff_ms" "$(ms "$cpu")")"
done
models=(bicubic)
[[ -n $preview_model ]] && models+=("$preview_model")
read -r -a more <<<"${MODELS:-auto}"
models+=("${more[@]}")
for model in "${models[@]}"; do
    timed "'$lutscale' - -o - --size $out_size --model '$model' -q <'$work/in.y4m' | cat >/dev/null"
    label="lutscale --model $model"
    [[ $model == "$preview_model" ]] && label+=" (preview's)"
    row "$label" "$(fps "$wall")" "$(ms "$cpu")" "$(ratio "$(fps "$wall")" "$ff_fps")" "$(ratio "$ff_ms" "$(ms "$cpu")")"
done

# Preview: paced to the source's 30 fps; what the upscaler cannot keep up with is dropped before it is upscaled.
if [[ -z $preview_model ]]; then
    echo "preview: no preview model: $(tail -n 1 "$work/probe")"
    exit 0
fi
drops=() walls=() cpus=()
runs=$repeats
repeats=1
for ((r = 0; r < runs; r++)); do
    timed "'$lutscale' - -o - --size $out_size --preview <'$work/in.y4m' | cat >/dev/null"
    drops+=("$(grep -o '[0-9]* frames dropped' "$work/stderr" | cut -d' ' -f1)")
    walls+=("$wall")
    cpus+=("$cpu")
done
echo "lutscale --preview ($preview_model), paced at 30 fps, $frames frames ($(awk -v f="$frames" 'BEGIN {printf "%.1f", f / 30}') s of video):"
echo "  frames dropped per run: ${drops[*]}; median $(median "${walls[@]}") s wall, $(ms "$(median "${cpus[@]}")") CPU ms/frame"
