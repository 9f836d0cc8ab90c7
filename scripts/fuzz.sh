#!/usr/bin/env bash
# Builds ferkit's libFuzzer harnesses (fuzz/, clang with ASan + UBSan, in build-fuzz/) and runs each
# for SECONDS (default 60) on one core, starting from seed corpora made of real files (ferkit
# synth output, recipes, the shipped model, torch.save files, a photo, HTTP requests). Findings
# land in build-fuzz/artifacts/NAME/; copy them to tests/hostile/fuzz_cases/NAME/ once fixed, and
# the regression test replays them. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${1:-60}
shift || true
B=$ROOT/build-fuzz
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(label_csv fer2013_csv image_header torch_pickle tfjs_model yaml_config bundle http_request http_chunked array_input)

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERKIT_FUZZ=ON \
  -DFERKIT_BUILD_TESTS=OFF -DFERKIT_BUILD_BENCH=OFF >/dev/null
cmake --build "$B" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

# Seed corpora from real files.
C=$B/corpus
mkdir -p "$C"/{label_csv,fer2013_csv,image_header,torch_pickle,tfjs_model,yaml_config,bundle,http_request,http_chunked,array_input}
cp "$ROOT"/tests/hostile/fuzz_seeds/label_csv/* "$C/label_csv/" 2>/dev/null || true
cp "$ROOT"/tests/hostile/fuzz_seeds/fer2013_csv/* "$C/fer2013_csv/" 2>/dev/null || true
cp "$ROOT"/fuzz/sample-face.png "$C/image_header/"
for f in /usr/share/doc/opencv-doc/examples/data/{messi5.jpg,lena.jpg,fruits.jpg,butterfly.jpg}; do [ -f "$f" ] && head -c 4096 "$f" > "$C/image_header/$(basename "$f")"; done
/usr/bin/python3 - "$C/torch_pickle" <<'PY' || echo "fuzz: no python3-torch: torch_pickle starts without seeds"
import sys, torch, collections
d = sys.argv[1]
sd = collections.OrderedDict([("conv.weight", torch.arange(12.).reshape(3, 1, 2, 2)), ("bn.running_mean", torch.zeros(3)),
                              ("bn.num_batches_tracked", torch.tensor(5)), ("fc.bias", torch.ones(2, dtype=torch.float64))])
torch.save(sd, f"{d}/zip.pt")
torch.save(sd, f"{d}/legacy.pt", _use_new_zipfile_serialization=False)
PY
cp "$ROOT"/tests/hostile/fuzz_seeds/tfjs_model/* "$C/tfjs_model/" 2>/dev/null || true
cp "$ROOT"/recipes/*.yaml "$C/yaml_config/"
cp "$ROOT"/models/ferplus-small.ferkit "$C/bundle/"
cp "$ROOT"/tests/hostile/fuzz_seeds/http_request/* "$C/http_request/" 2>/dev/null || true
cp "$ROOT"/tests/hostile/fuzz_seeds/http_chunked/* "$C/http_chunked/" 2>/dev/null || true
cp "$ROOT"/tests/hostile/fuzz_seeds/array_input/* "$C/array_input/" 2>/dev/null || true

echo "| target | seconds fuzzed | executions | exec/s | coverage (edges) | features | corpus | findings | slow units |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in "${TARGETS[@]}"; do
  mkdir -p "$B/artifacts/$t"
  max_len=65536
  [ "$t" = bundle ] && max_len=2000000
  log=$B/fuzz_$t.log
  (cd "$B" && ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$B/fuzz/fuzz_$t" "$C/$t" -max_total_time="$SECONDS_EACH" \
     -max_len=$max_len -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" >"$log" 2>&1) || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  corp=$(ls "$C/$t" | wc -l)
  # crashes, leaks, timeouts, out-of-memory; "slow" units (over 10 s once) are listed apart: replay
  # one (fuzz_NAME FILE) to tell a real slow path from a pause of a loaded machine
  found=$(ls "$B/artifacts/$t" | grep -vc '^slow-unit-' || true)
  slow=$(ls "$B/artifacts/$t" | grep -c '^slow-unit-' || true)
  # A run stops at its first finding: the seconds it fuzzed are executions / rate.
  secs=$( [ "$rate" != "?" ] && [ "$rate" -gt 0 ] 2>/dev/null && echo $(( execs / rate )) || echo "?")
  echo "| $t | $secs of $SECONDS_EACH | $execs | $rate | $cov | $ft | $corp | $found | $slow |"
done
