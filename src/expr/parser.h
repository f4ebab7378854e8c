// Parse: expression text -> Expr. Checks syntax, resolves function names and
// their argument counts, and limits nesting so that hostile input cannot
// exhaust the stack. Every error names the spot with line:column and a caret:
//
//   expected ')', found ',' at 1:23
//     member(Country, {"US" , "DE"}, x
//                           ^
//
// Callers: Compile() users (scheduler, matcher, CLI), CheckRequirements().
// Thread-safety: pure function.
#pragma once

#include <string_view>

#include "common/status.h"
#include "expr/ast.h"

namespace skyrun::expr {

// Limits, documented in docs/expressions.md.
constexpr size_t kMaxSourceBytes = 1 << 20;
constexpr int kMaxNesting = 100;     // parentheses, calls, lists, unary chains
constexpr int kMaxTreeDepth = 1000;  // height of the tree, counting operator chains

Result<Expr> Parse(std::string_view text);

}  // namespace skyrun::expr
