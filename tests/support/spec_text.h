// Job specs written as YAML text by tests: a shell command quoted as one
// YAML double-quoted scalar, so that `run: "<command>"` carries quotes, '$'
// and ':' as they are. Part of the test-support library (tests/support/).
// Callers: the volume tests through the server (tests/integration,
// tests/slurm_e2e). Thread-safety: pure functions.
#pragma once

#include <string>

namespace skyrun::test_support {

// "..." with '"' and '\' escaped: one YAML double-quoted scalar.
std::string Quoted(const std::string& s);

}  // namespace skyrun::test_support
