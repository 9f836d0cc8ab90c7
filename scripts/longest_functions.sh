#!/usr/bin/env bash
# The longest functions of a tree (Universal Ctags: start and end line of every function body).
# usage: scripts/longest_functions.sh [DIR=src] [N=15]
set -euo pipefail
dir=${1:-src}; n=${2:-15}
ctags -R --languages=C++ --c++-kinds=f --fields=+ne -o - "$dir" |
  awk -F'\t' '{ line = ""; end = ""; for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) line = substr($i, 6); if ($i ~ /^end:/) end = substr($i, 5) }
               if (line != "" && end != "") printf "%5d  %s  %s:%s\n", end - line + 1, $1, $2, line }' |
  sort -rn | head -n "$n"
