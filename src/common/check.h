// CHECK: a broken invariant stops the program with where and why. Not for
// input validation (that returns a Status).
#pragma once

#include <cstdio>
#include <cstdlib>

#define SKYRUN_CHECK(cond)                                                            \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
