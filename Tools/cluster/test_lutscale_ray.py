"""lutscale-ray on a local Ray cluster with 2 workers, one of them killed (SIGKILL) mid-segment and its task retried:
the output has the frames (framemd5) and the audio of a single uninterrupted lutscale run (issue #19).

Needs Ray (Tools/cluster/setup.sh) and a built lutscale (swift build; $LUTSCALE names another binary).
Run: python3 -m pytest -q Tools/cluster
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (Tools/cluster/setup.sh installs it); the cluster driver is not tested")

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "Tools" / "cluster" / "lutscale-ray"


def lutscale_binary():
    candidates = [os.environ.get("LUTSCALE"), ROOT / ".build" / "debug" / "lutscale", ROOT / ".build" / "release" / "lutscale"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.skip("no lutscale binary: run swift build first (or set LUTSCALE)")


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *arguments], check=True)


def framemd5(path, stream, copy=False):
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", f"0:{stream}"]
    command += ["-c", "copy"] if copy else []
    result = subprocess.run(command + ["-f", "framemd5", "-"], check=True, capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if not line.startswith("#")]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg CLI not installed")
def test_two_workers_one_killed_and_retried(tmp_path):
    binary = lutscale_binary()
    source = tmp_path / "in.mkv"
    # 4 s of 160x120 at 24 fps, a keyframe every 12 frames, AAC audio and a title: 8 segments of 0.5 s.
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
           "-frames:v", "96", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-metadata", "title=Cluster", str(source))
    options = ["--scale", "2", "--codec", "ffv1", "--model", "bicubic"]
    single = tmp_path / "single.mkv"
    subprocess.run([binary, str(source), "-o", str(single), "--segment-seconds", "0", "--quiet", *options], check=True)

    output = tmp_path / "cluster.mkv"
    environment = dict(os.environ, LUTSCALE_RAY_KILL_SEGMENT="2", RAY_AUTH_MODE="disabled")
    run = subprocess.run([sys.executable, str(DRIVER), str(source), "-o", str(output), *options, "--workers", "2",
                          "--segment-seconds", "0.5", "--lutscale", binary],
                         capture_output=True, text=True, env=environment, timeout=300)
    assert run.returncode == 0, run.stderr
    # The worker running segment 3 killed itself mid-segment; Ray ran the task again.
    assert (tmp_path / ".cluster.mkv.lutscale-ray").exists() is False
    assert "segment 3 needed 2 attempts" in run.stderr, run.stderr
    assert "frame 96/96 (100.0%)" in run.stderr, run.stderr
    assert framemd5(output, "v") == framemd5(single, "v")
    assert framemd5(output, "a", copy=True) == framemd5(single, "a", copy=True)
    probe = ["ffprobe", "-v", "error", "-show_entries", "format_tags=title", "-of", "csv=p=0"]
    assert subprocess.run(probe + [str(output)], capture_output=True, text=True).stdout.strip() == "Cluster"
