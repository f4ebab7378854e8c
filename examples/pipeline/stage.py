#!/usr/bin/env python3
"""One stage of a pipeline job: reports the units of the model that skyrun's partitioner gave it.

skyrun splits the model named in the spec's `partition:` over the job's tasks, one contiguous range per
task in rank order, sized by each node's speed (its Slowness or BenchSeconds attribute) and memory.
A real stage would build those layers and exchange activations with its neighbours (rank - 1 and rank + 1
at the addresses in SKYRUN_NODE_IPS); this one prints its share and the time it would take, so the
split can be seen.
"""

import os
import sys


def main():
    env = os.environ
    try:
        first, last = int(env["SKYRUN_LAYER_START"]), int(env["SKYRUN_LAYER_END"])
    except KeyError:
        print("stage.py: SKYRUN_LAYER_START/END are not set: run it as a job with mode: pipeline", file=sys.stderr)
        return 2
    stage, stages = env["SKYRUN_STAGE"], env["SKYRUN_NUM_STAGES"]
    units = env["SKYRUN_NUM_UNITS"]
    print(f"stage {stage} of {stages} on {env.get('SKYRUN_NODE_NAME', '?')}: units {first}..{last} "
          f"({last - first + 1} of {units}: {env.get('SKYRUN_LAYER_NAMES', '')}) of {env['SKYRUN_PARTITION_MODEL']}")
    out = env.get("STAGE_REPORT_DIR")
    if out:
        with open(os.path.join(out, f"rank-{env['SKYRUN_NODE_RANK']}.txt"), "w") as f:
            f.write(f"{env['SKYRUN_NODE_NAME']} {first} {last} {stage} {stages} {units}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
