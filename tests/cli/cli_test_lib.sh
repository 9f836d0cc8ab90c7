# Shared by the shell tests of the command line (tests/cli/test_cli.sh, tests/hostile/test_hostile_cli.sh),
# sourced after FERKIT is set: a temporary folder removed at exit, pass/fail counters, expect_fail.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect_fail NAME PATTERN CMD...: the command must exit non-zero and print PATTERN
expect_fail() {
  local name=$1 pattern=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -eq 0 ]; then bad "$name: exit 0, expected failure"; return; fi
  if ! grep -qF -- "$pattern" <<<"$out"; then bad "$name: output lacks '$pattern': $out"; return; fi
  ok
}
