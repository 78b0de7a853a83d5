#!/usr/bin/env bash
# Installs what LUTScale needs to build and test on Debian 12, skipping what is already there.
set -euo pipefail
# mpv: the player tests (Tests/LUTScaleTests/PlayerTests.swift) play lutscale's output in it; they skip without it.
packages=(ffmpeg pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev mpv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
# The training tools' tests (Tools/Training) need NumPy, SciPy, Pillow and pytest; the fine-tuning step and its
# test the CPU build of PyTorch.
if ! python3 -c "import numpy, scipy, PIL, pytest" 2>/dev/null; then
    echo "setup: installing numpy scipy pillow pytest with pip" >&2
    python3 -m pip install -q numpy scipy pillow pytest
fi
if ! python3 -c "import torch" 2>/dev/null; then
    echo "setup: installing torch 2.13.0 (CPU) with pip" >&2
    python3 -m pip install -q torch==2.13.0
fi
# The training smoke test (Tools/Training/smoke_test.py) runs on real photos: fetch the 5 of palapeli-data (2 MB)
# unless photos are there already.
training="$(cd "$(dirname "$0")" && pwd)/Training"
if ! ls "$training"/work/photos/[0-9][0-9]_* >/dev/null 2>&1; then
    "$training/1_fetch_data.sh" --only palapeli-data
fi
