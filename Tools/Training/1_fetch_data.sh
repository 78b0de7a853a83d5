#!/usr/bin/env bash
# Step 1: fetch the training photos listed in DATA.md from Debian packages (download + extract, no install).
# Output: work/photos/NN_<name> (the NN of DATA.md's table), work/photos/list.tsv (NN, file, package, licence).
# `--only PACKAGE` fetches just that package's rows (Tools/setup.sh uses the 2 MB palapeli-data for the smoke test).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$here/work"
only=""
if [[ $# -gt 0 ]]; then
    [[ $# -eq 2 && $1 == --only ]] || { echo "usage: $0 [--only PACKAGE]" >&2; exit 2; }
    only="$2"
fi
mkdir -p "$work/debs" "$work/pkgs" "$work/photos"

# Rows of DATA.md's table: | NN | package | `path` | size | licence | author | `sha` |
rows="$(grep -E '^\| [0-9]{2} \|' "$here/DATA.md")"
if [[ -n $only ]]; then
    rows="$(awk -F'|' -v p="$only" '{q=$3; gsub(/ /,"",q)} q==p' <<<"$rows")"
    [[ -n $rows ]] || { echo "fetch: no photo of package $only in DATA.md" >&2; exit 2; }
fi
mapfile -t packages < <(awk -F'|' '{gsub(/ /,"",$3); print $3}' <<<"$rows" | sort -u)

policy="$(apt-cache policy "${packages[0]}")"
if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
    echo "fetch: apt lists are empty, running apt-get update" >&2
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
fi

cd "$work/debs"
for p in "${packages[@]}"; do
    ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p"
    [[ -d "$work/pkgs/$p" ]] || dpkg-deb -x "$(ls "${p}"_*.deb | head -1)" "$work/pkgs/$p"
done

# list.tsv keeps the rows of photos fetched earlier (an --only run must not shrink a full set)
list="$work/photos/list.tsv"; new="$list.new"
: > "$new"
while IFS='|' read -r _ nn pkg path _size licence _author sha _; do
    nn="${nn// /}"; pkg="${pkg// /}"
    path="$(sed -e 's/^ *`//' -e 's/` *$//' <<<"$path")"
    sha="$(sed -e 's/^ *`//' -e 's/` *$//' <<<"$sha")"
    licence="$(sed -e 's/^ *//' -e 's/ *$//' <<<"$licence")"
    src="$work/pkgs/$pkg/$path"
    [[ -f "$src" ]] || { echo "fetch: missing $pkg/$path" >&2; exit 1; }
    dst="$work/photos/${nn}_$(basename "$path")"
    cp "$src" "$dst"
    got="$(sha256sum "$dst" | cut -c1-16)"
    [[ "$got" == "$sha" ]] || echo "fetch: warning: $dst sha256 $got differs from DATA.md's $sha" >&2
    printf '%s\t%s\t%s\t%s\n' "$nn" "$(basename "$dst")" "$pkg" "$licence" >> "$new"
done <<<"$rows"
[[ -f $list ]] || : > "$list"
{ cat "$new"; awk -F'\t' 'NR==FNR {seen[$1]=1; next} !($1 in seen)' "$new" "$list"; } | sort > "$list.tmp"
mv "$list.tmp" "$list"; rm "$new"
echo "fetch: $(wc -l < "$list") photos in $work/photos"
