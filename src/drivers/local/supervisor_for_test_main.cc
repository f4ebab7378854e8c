// local_supervisor_for_test: a stand-in for `skyrun supervise DIR` that the
// local driver's tests start, so that they need not build the whole skyrun
// binary. Like apps/skyrun, it is a process entry point: it makes the real
// clock and hands it down.
#include <cstdio>
#include <cstring>

#include "common/clock.h"
#include "drivers/local/supervisor.h"

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "supervise") != 0) {
    std::fprintf(stderr, "usage: %s supervise TASK_DIR\n", argv[0]);
    return 2;
  }
  skyrun::SystemClock clock;
  return skyrun::RunSupervisor(argv[2], clock);
}
