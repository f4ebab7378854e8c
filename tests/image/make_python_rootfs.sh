#!/bin/sh
# Builds a small root file system with Python 3 and NumPy, as a tar, for the
# image tests (tests/image/image_e2e_test.cc) and bench/image_bench.
#   make_python_rootfs.sh OUT.tar
# Assembled from this machine's Debian packages (python3, python3-numpy, bash,
# coreutils): the binaries, every library `ldd` names for them and for
# NumPy's extension modules, the standard library (without its tests, IDLE
# and Tk) and NumPy, in a merged-/usr layout (bin, lib, lib64 -> usr/...).
# No network is needed (debootstrap would need a Debian mirror); the test
# caches the tar in the build tree, so this runs once.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp" "$root/proc" "$root/dev" \
  "$root/root" "$root/home"
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s usr/bin "$root/usr/sbin"
ln -s bin "$root/sbin"

pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
bins="/usr/bin/python$pyver /usr/bin/bash /usr/bin/dash /usr/bin/cat /usr/bin/ls /usr/bin/env /usr/bin/id \
  /usr/bin/sleep /usr/bin/echo /usr/bin/test /usr/bin/head /usr/bin/wc /usr/bin/mkdir /usr/bin/touch /usr/bin/rm"
for b in $bins; do
  [ -e "$b" ] && cp -L "$b" "$root/usr/bin/"
done
ln -s "python$pyver" "$root/usr/bin/python3"
ln -s dash "$root/usr/bin/sh"

# The standard library and NumPy.
mkdir -p "$root/usr/lib/python$pyver" "$root/usr/lib/python3/dist-packages"
tar -C "/usr/lib/python$pyver" --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./ensurepip \
  --exclude=./lib2to3 --exclude=./turtledemo --exclude='__pycache__' -cf - . | tar -C "$root/usr/lib/python$pyver" -xf -
tar -C /usr/lib/python3/dist-packages --exclude='__pycache__' --exclude='tests' -cf - numpy | \
  tar -C "$root/usr/lib/python3/dist-packages" -xf -

# Every shared library the binaries and extension modules load.
libs=$(
  {
    for b in "$root"/usr/bin/*; do [ -L "$b" ] || ldd "$b" 2>/dev/null; done
    find "$root/usr/lib" -name '*.so' -type f | while read -r so; do ldd "$so" 2>/dev/null; done
  } | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u
)
for lib in $libs; do
  dir=$(dirname "$lib")
  case $dir in
    /lib|/lib/*|/lib64|/lib64/*) dir=/usr$dir ;;
  esac
  mkdir -p "$root$dir"
  cp -L "$lib" "$root$dir/$(basename "$lib")"
done

printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'ID=skyrun-test-python\n' >"$root/etc/os-release"
chmod -R a+rX "$root"
mkdir -p "$(dirname "$out")"
# A name of this run's own, then an atomic rename: ctest runs the image tests
# in parallel, and on a fresh build tree each builds the tar at the same time.
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$out.tmp.$$" .
mv "$out.tmp.$$" "$out"
