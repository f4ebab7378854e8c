// The expression language's commands:
//   skyrun expr eval 'EXPR' [--ad FILE.json] [--target FILE.json] [-o json]
//   skyrun expr check 'EXPR' [--as requirements|rank|policy|any]
//   skyrun match JOB.yaml --nodes NODES.json [--tenant T] [-o json]
// The logic only: src/cli/expr_commands.cc parses the arguments (CLI11) and
// calls these, so this module does not depend on CLI11. Not part of the
// fuzz-only build.
// Thread-safety: run from main() only.
#pragma once

#include <iosfwd>
#include <string>

namespace skyrun {

namespace expr {

// What the commands do, with their streams passed in (for tests). Exit
// status: 0 done (match: at least one node matches), 1 match found no node,
// 2 bad input (an expression that does not parse or check, an unreadable
// file), with the reason on `err`.
int RunExprEval(const std::string& text, const std::string& ad_file, const std::string& target_file,
                bool json, std::ostream& out, std::ostream& err);
int RunExprCheck(const std::string& text, const std::string& role, std::ostream& out, std::ostream& err);
int RunMatch(const std::string& job_file, const std::string& nodes_file, const std::string& tenant, bool json,
             std::ostream& out, std::ostream& err);

}  // namespace expr
}  // namespace skyrun
