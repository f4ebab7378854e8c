// `skyrun validate FILE [-o json]`: checks a job spec file without submitting
// it. The logic only: src/cli/spec_commands.cc parses the arguments (CLI11)
// and calls RunValidate. Not part of the fuzz build.
// Thread-safety: run from main() only.
#pragma once

#include <iosfwd>
#include <string>

#include "spec/spec_overrides.h"

namespace skyrun {

// What `skyrun validate` does, with its streams passed in (for tests).
// "-" reads the spec from `in`. Returns the exit status: 0 valid, 2 problems.
// Text: "FILE: ok (N job(s))" and one summary line per job on `out`, or one
// problem per line on `err`. JSON (on `out` either way):
// {"ok": bool, "specs": [...], "problems": [{file, line, column, field, message}]}.
// `overrides` are the launch flags (--env, --secret, --gpus, --num-nodes).
int RunValidate(const std::string& path, bool json, std::istream& in, std::ostream& out, std::ostream& err,
                const LaunchOverrides& overrides = {});

}  // namespace skyrun
