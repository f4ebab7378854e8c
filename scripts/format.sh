#!/usr/bin/env bash
# Formats the C++ sources with clang-format and the repository's .clang-format.
#   scripts/format.sh            format every *.cc/*.h under src tests bench fuzz apps, in place
#   scripts/format.sh FILE...    format only these
#   scripts/format.sh --check    change nothing; list the files that are not formatted, exit 1 if any
# The ctest test format_check (tests/repo/format_test.sh) runs --check when the
# build is configured with -DSKYRUN_CHECK_FORMAT=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "format.sh: $clang_format not found; install it with scripts/install-deps.sh --test" >&2
  exit 2
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  dirs=(src tests bench fuzz apps)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${dirs[@]}" | grep -E '\.(cc|h)$')
  else
    mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.cc' -o -name '*.h' \) | sort)
  fi
  # git ls-files also lists files deleted in the working tree but not yet staged.
  existing=()
  for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done
  files=("${existing[@]}")
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "format.sh: no files to format"
  exit 0
fi

if [ $check -eq 0 ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" -i --style=file
  echo "format.sh: formatted ${#files[@]} files"
  exit 0
fi

# --dry-run prints every offending line with its context: keep only the file names.
report=$(printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" --dry-run --Werror --style=file 2>&1 || true)
mapfile -t bad < <(printf '%s\n' "$report" |
                   sed -n 's/^\(.*\):[0-9][0-9]*:[0-9][0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if [ ${#bad[@]} -gt 0 ]; then
  echo "format check: ${#bad[@]} of ${#files[@]} files are not formatted as .clang-format says:"
  printf '  %s\n' "${bad[@]}"
  echo "fix them with: scripts/format.sh ${bad[*]:0:3}${bad[3]:+ ...}   (or scripts/format.sh for the whole tree)"
  echo "see one file's differences with: clang-format ${bad[0]} | diff ${bad[0]} -"
  exit 1
fi
if printf '%s\n' "$report" | grep -q 'error:'; then
  echo "format check: clang-format failed:"
  printf '%s\n' "$report" | grep 'error:' | head -20
  exit 2
fi
echo "format check: all ${#files[@]} files are formatted"
