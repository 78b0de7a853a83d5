#!/usr/bin/env bash
# Checks that another package can depend on LUTScale's LUTEngine library by version, as a user's Package.swift
# would (`.package(url:, from:)`): SwiftPM refuses such a dependency if a target it builds has unsafe flags.
# The working tree's tracked files are committed into a scratch repository, tagged 1.0.0, and a small consumer
# (Consumer/, beside this script) is built against the tag and run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/LUTScale"
(cd "$root" && git ls-files -z | xargs -0 tar -cf -) | tar -xf - -C "$work/LUTScale"
git -C "$work/LUTScale" init -q
git -C "$work/LUTScale" add -A
git -C "$work/LUTScale" -c user.name=check -c user.email=check@localhost commit -q -m "LUTScale under test"
git -C "$work/LUTScale" tag 1.0.0

cp -R "$root/Tools/DependencyCheck/Consumer" "$work/Consumer"
sed -i "s|LUTSCALE_URL|file://$work/LUTScale|" "$work/Consumer/Package.swift"
swift build --package-path "$work/Consumer" -q
"$work/Consumer/.build/debug/Consumer"
