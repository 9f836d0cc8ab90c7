#!/usr/bin/env bash
# The docs and the program agree: every command of `ferkit --help` is in README.md's command list,
# every --flag written in README.md or docs/*.md is one of ferkit's (in the --help of the program
# or of a command), and every flag of every --help is written somewhere in the docs.
set -u
FERKIT=${1:?usage: test_docs_flags.sh path/to/ferkit}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"  # TMP, ok, bad

subs=$($FERKIT --help | awk '/^Subcommands:/{f=1; next} f && NF {print $1}')
[ -n "$subs" ] && ok || bad "no subcommands in ferkit --help"
for s in $subs; do
  grep -q -- "^- \`ferkit $s\b" "$ROOT/README.md" && ok || bad "README.md's command list lacks ferkit $s"
done
{ $FERKIT --help; for s in $subs; do $FERKIT "$s" --help; done; } | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$TMP/help"
# Flags of other programs that the docs quote (cmake, pkg-config, torchrun), and --key of "--key value".
printf -- '%s\n' --build --install --prefix --cflags --libs --no --key | sort -u >"$TMP/foreign"
cat "$ROOT/README.md" "$ROOT"/docs/*.md | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | comm -23 - "$TMP/foreign" >"$TMP/docs"
missing_in_help=$(comm -23 "$TMP/docs" "$TMP/help" | tr '\n' ' ')
missing_in_docs=$(comm -13 "$TMP/docs" "$TMP/help" | grep -v -- '^--help$' | tr '\n' ' ')
[ -z "$missing_in_help" ] && ok || bad "flags in the docs that ferkit does not have: $missing_in_help"
[ -z "$missing_in_docs" ] && ok || bad "flags of ferkit that no doc mentions: $missing_in_docs"
echo "docs flags: $pass passed, $fail failed"
[ $fail -eq 0 ]
