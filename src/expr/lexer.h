// Lexer: turns expression text into tokens, with byte offsets for error
// carets. Numbers may carry a size unit (40GiB -> 40960, in MiB) or the milli
// suffix (500m -> 0.5); strings use C escapes; 'quoted names' are attribute
// names that are not plain identifiers. Used only by the parser.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun::expr {

enum class Tok : uint8_t {
  kEnd,
  kInt,
  kReal,
  kString,
  kIdent,
  kQuotedIdent,
  kTrue,
  kFalse,
  kUndefined,
  kError,
  kIs,
  kIsnt,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kQuestion,
  kColon,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kMetaEq,
  kMetaNe,
  kAndAnd,
  kOrOr,
  kBang,
  kTilde,
  kAmp,
  kPipe,
  kCaret,
  kShl,
  kShr,
  kUshr,
};

// The magnitude of the most negative integer: a kInt token with this text
// holds INT64_MIN and is only valid right after a unary minus.
inline constexpr std::string_view kMinIntMagnitude = "9223372036854775808";

struct Token {
  Tok kind = Tok::kEnd;
  int pos = 0;  // byte offset of the first character
  int len = 0;
  int64_t int_value = 0;
  double real_value = 0;
  // kString / kQuotedIdent: the decoded text; kIdent: the name; numbers: the
  // spelling when it carries a unit or is hex/exponent (kept for printing).
  std::string text;
};

// Tokenizes all of `source` (the last token is kEnd). Errors carry the
// position and a caret: "unterminated string at 1:9".
Result<std::vector<Token>> Tokenize(std::string_view source);

// For messages: "')'", "the end of the expression", "the name 'Cpus'".
std::string DescribeToken(const Token& t);

}  // namespace skyrun::expr
