#!/usr/bin/env python3
"""The fixed compute benchmark of `skyrun partition` (seed 000's device benchmark phase).

Run it as a job on each device class; it multiplies two fp32 n x n matrices `iters` times
after `warmup` untimed runs and prints the elapsed seconds of the timed runs, nothing else,
on stdout. Put that number in the devices file's `bench_seconds` column: skyrun takes
slowness = seconds / fastest seconds, and, when the defaults are used (n=2048, iters=10,
2 n^3 FLOPs per product = 171,798,691,840 FLOPs), the reference speed of a slowness-1
device = those FLOPs / fastest seconds.

    python3 device_bench.py            # -> 0.412731
    python3 device_bench.py --n 4096 --iters 5 --verbose
"""

import argparse
import sys
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="matrix size (default 2048)")
    parser.add_argument("--iters", type=int, default=10, help="timed products (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed products first (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random matrices")
    parser.add_argument("--verbose", action="store_true", help="also print FLOPs and FLOP/s on stderr")
    args = parser.parse_args(argv)
    if args.n < 1 or args.iters < 1 or args.warmup < 0:
        parser.error("--n and --iters must be at least 1, --warmup at least 0")

    rng = np.random.default_rng(args.seed)
    a = rng.standard_normal((args.n, args.n), dtype=np.float32)
    b = rng.standard_normal((args.n, args.n), dtype=np.float32)
    out = np.empty((args.n, args.n), dtype=np.float32)
    for _ in range(args.warmup):
        np.matmul(a, b, out=out)
    start = time.perf_counter()
    for _ in range(args.iters):
        np.matmul(a, b, out=out)
    seconds = time.perf_counter() - start
    if not np.isfinite(out[0, 0]):
        print("device_bench: the product is not finite; the device computes wrongly", file=sys.stderr)
        return 1
    print(f"{seconds:.6f}")
    if args.verbose:
        flops = 2 * args.n ** 3 * args.iters
        print(f"{flops} FLOPs, {flops / seconds / 1e9:.1f} GFLOP/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
