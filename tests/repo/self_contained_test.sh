#!/bin/sh
# Item 16: a clone must build and pass its tests with nothing beside it. This
# fails if any build file, test, example, script or bench reads a path outside
# the repository: the team's shared data folder beside the clone, or the
# parent of the source tree through CMake. Markdown is skipped: docs may cite
# where a copied file came from (see tests/kubernetes/volcano-crds/PROVENANCE.md).
# Usage: self_contained_test.sh SOURCE_DIR
set -u
src=${1:?usage: self_contained_test.sh SOURCE_DIR}
cd "$src" || exit 2
self=tests/repo/self_contained_test.sh
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files --cached --others --exclude-standard)
else
  files=$(find . -path ./.git -prune -o -path './build*' -prune -o -type f -print | sed 's|^\./||')
fi
found=$(printf '%s\n' "$files" | grep -v -e '\.md$' -e "^$self\$" | while IFS= read -r f; do
  [ -f "$f" ] || continue
  grep -nIH -e '\.\./shared' -e '/work/[s]hared' -e 'CMAKE_SOURCE_DIR}/\.\.' -e 'PROJECT_SOURCE_DIR}/\.\.' "$f"
done)
if [ -n "$found" ]; then
  echo "these files read paths outside the repository; copy what they need into it (with its provenance):"
  echo "$found"
  exit 1
fi
echo "ok: no build file, test, example, script or bench reads outside the repository"
