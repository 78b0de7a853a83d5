#!/usr/bin/env bash
# A side-by-side crop for the README: bicubic | LUTScale | original, from a Set5 LR image upscaled by the CLI as users
# run it (our bicubic and `--model auto`), written to docs/side-by-side.png.
#
#   Tools/SideBySide.sh [IMAGE] [SCALE] [CROP]     default: butterfly 4 160x160+40+60 (WxH+X+Y on the HR image)
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-butterfly}
scale=${2:-4}
crop=${3:-160x160+40+60}
lutscale=${LUTSCALE:-.build/release/lutscale}
[[ -x $lutscale ]] || swift build -c release --product lutscale >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lr=../shared/benchmarks/Set5/LR_bicubic/X$scale/$image.png
hr=../shared/benchmarks/Set5/HR/$image.png
"$lutscale" "$lr" -o "$work/bicubic.png" --scale "$scale" --model bicubic -q
"$lutscale" "$lr" -o "$work/ours.png" --scale "$scale" -q
read -r w h x y < <(echo "$crop" | tr 'x+' '  ')
# Each crop doubled with nearest neighbour so the pixels show, 8 px of white between them.
ffmpeg -nostdin -v error -y -i "$work/bicubic.png" -i "$work/ours.png" -i "$hr" -filter_complex \
    "[0]crop=$w:$h:$x:$y,scale=iw*2:ih*2:flags=neighbor,pad=iw+8:ih:0:0:white[a];
     [1]crop=$w:$h:$x:$y,scale=iw*2:ih*2:flags=neighbor,pad=iw+8:ih:0:0:white[b];
     [2]crop=$w:$h:$x:$y,scale=iw*2:ih*2:flags=neighbor[c];[a][b][c]hstack=3" \
    -frames:v 1 docs/side-by-side.png
echo "docs/side-by-side.png: $image x$scale, crop $crop: bicubic | $("$lutscale" "$lr" -o "$work/probe.png" --scale "$scale" 2>&1 | grep -o '(auto: [^,)]*' | sed 's/(auto: //' | head -1) | original"
