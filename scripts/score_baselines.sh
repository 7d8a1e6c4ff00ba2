#!/usr/bin/env bash
# Scores every file in a challenge's baselines/ folder on the hidden test set with Sieve's
# own scorer (`sieve score --split test`: the worker's code path, no server), and prints one
# line per file: the file, the ranking metric and every metric, as JSON.
#
#   npm run build && bash scripts/score_baselines.sh challenges/fashion-acquisition
#
# The README tables of the bundled challenges show these figures, rounded.
set -euo pipefail
dir=${1:?usage: score_baselines.sh <challenge folder>}
for file in "$dir"/baselines/*; do
  if out=$(node bin/sieve.js score --challenge "$dir" --split test --json "$file" 2>&1); then
    echo "$(basename "$file") $out"
  else
    echo "$(basename "$file") refused: ${out%%$'\n'*}"
  fi
done
