# Shared by the stand-in scripts (sourced, not run). Stand-ins for lmutil/rlmutil in tests: each prints a fixture,
# fails, hangs, prints garbage or prints without end. They record their pid (and a child's) in $FAKE_LMUTIL_STATE
# when it is set, so tests can check that nothing is left running.
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES=${FAKE_LMUTIL_FIXTURES:-$HERE/../../fixtures}
NAME=$(basename "$0")

# $1: the subcommand the real tool is given (lmstat / rlmstat); the rest: "$@" of the script
expect_args() {
  sub=$1
  shift
  if [ "$#" -ne 4 ] || [ "$1" != "$sub" ] || [ "$2" != "-a" ] || [ "$3" != "-c" ] || [ -z "$4" ]; then
    echo "$NAME: unexpected arguments: $*" >&2
    exit 64
  fi
  if [ "$LANG" != "C" ] || [ "$LC_ALL" != "C" ]; then
    echo "$NAME: LANG/LC_ALL not C" >&2
    exit 65
  fi
}

record() {
  if [ -n "$FAKE_LMUTIL_STATE" ]; then
    echo "$2" > "$FAKE_LMUTIL_STATE/$1"
    echo "$NAME $2" >> "$FAKE_LMUTIL_STATE/runs.log"
  fi
}
