// The operators of the expression language over Values: arithmetic,
// comparison, identity and the unary operators. && || ?: and ? : are lazy and
// live in the evaluator. Shared by the evaluator and compile-time constant
// folding so that both give the same answers.
//
// Rules (docs/expressions.md has the tables): ERROR beats UNDEFINED beats
// everything else; int op int stays int (overflow and division by zero are
// ERROR); a real operand makes the result real; strings compare without
// regard to case; =?= / =!= never give UNDEFINED or ERROR.
// Thread-safety: pure functions.
#pragma once

#include "expr/ast.h"
#include "expr/value.h"

namespace skyrun::expr {

Value ApplyUnary(UnaryOp op, const Value& v);
// Every binary operator except && and ||.
Value ApplyBinary(BinaryOp op, const Value& a, const Value& b);

// Three-way numeric comparison (exact between int and real); returns -1, 0,
// 1, or 2 when unordered (NaN). Both must be numbers.
int CompareNumbers(const Value& a, const Value& b);

// The value of a list index a[i].
Value ApplyIndex(const Value& list, const Value& index);

}  // namespace skyrun::expr
