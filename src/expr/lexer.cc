#include "expr/lexer.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/strings.h"
#include "expr/ast.h"
#include "expr/value.h"

namespace skyrun::expr {
namespace {

struct Unit {
  const char* suffix;
  int64_t num;  // the literal times num/den is the value in MiB
  int64_t den;
};

// Memory units give MiB (binary multiples, as skyrun's memory fields do);
// "m" is milli (500m = 0.5).
constexpr Unit kUnits[] = {
    {"K", 1, 1024},       {"Ki", 1, 1024},       {"KiB", 1, 1024},       {"KB", 1, 1024},
    {"M", 1, 1},          {"Mi", 1, 1},          {"MiB", 1, 1},          {"MB", 1, 1},
    {"G", 1024, 1},       {"Gi", 1024, 1},       {"GiB", 1024, 1},       {"GB", 1024, 1},
    {"T", 1048576, 1},    {"Ti", 1048576, 1},    {"TiB", 1048576, 1},    {"TB", 1048576, 1},
    {"P", 1073741824, 1}, {"Pi", 1073741824, 1}, {"PiB", 1073741824, 1}, {"PB", 1073741824, 1},
};

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : s_(src) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      Status st = SkipSpaceAndComments();
      if (!st.ok()) return st;
      Token t;
      t.pos = static_cast<int>(p_);
      if (p_ >= s_.size()) {
        t.kind = Tok::kEnd;
        out.push_back(std::move(t));
        return out;
      }
      char c = s_[p_];
      if (IsDigit(c) || (c == '.' && p_ + 1 < s_.size() && IsDigit(s_[p_ + 1]))) {
        st = Number(&t);  // .5 is a real, as in ClassAds
      } else if (IsIdentStart(c)) {
        Identifier(&t);
      } else if (c == '"') {
        st = String(&t);
      } else if (c == '\'') {
        st = QuotedName(&t);
      } else {
        st = Punctuation(&t);
      }
      if (!st.ok()) return st;
      t.len = static_cast<int>(p_) - t.pos;
      out.push_back(std::move(t));
    }
  }

 private:
  Status Error(size_t at, const std::string& what) { return InvalidArgument(DescribeAt(s_, at, what)); }

  Status SkipSpaceAndComments() {
    while (p_ < s_.size()) {
      char c = s_[p_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++p_;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '/') {
        while (p_ < s_.size() && s_[p_] != '\n') ++p_;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
        size_t end = s_.find("*/", p_ + 2);
        if (end == std::string_view::npos)
          return Error(p_, "unterminated comment: '/*' needs a closing '*/'");
        p_ = end + 2;
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  Status Number(Token* t) {
    size_t start = p_;
    if (s_[p_] == '0' && p_ + 1 < s_.size() && (s_[p_ + 1] == 'x' || s_[p_ + 1] == 'X')) {
      p_ += 2;
      size_t digits = p_;
      while (p_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[p_]))) ++p_;
      if (p_ == digits) return Error(start, "expected hex digits after 0x");
      if (p_ < s_.size() && IsIdentChar(s_[p_])) return Error(p_, "unexpected character after a hex number");
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(s_.data() + digits, s_.data() + p_, v, 16);
      if (ec != std::errc() || v > static_cast<uint64_t>(INT64_MAX)) {
        return Error(start, "integer " + std::string(s_.substr(start, p_ - start)) +
                                " is too large (the largest is 9223372036854775807)");
      }
      t->kind = Tok::kInt;
      t->int_value = static_cast<int64_t>(v);
      t->text = std::string(s_.substr(start, p_ - start));
      return Status::Ok();
    }
    while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
    bool is_real = false;
    bool plain = s_[start] != '.';  // spelled as the printer would print it
    if (p_ < s_.size() && s_[p_] == '.') {
      if (p_ + 1 >= s_.size() || !IsDigit(s_[p_ + 1])) {
        return Error(p_ + 1, "expected a digit after the decimal point");
      }
      is_real = true;
      ++p_;
      while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      size_t q = p_ + 1;
      if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
      if (q < s_.size() && IsDigit(s_[q])) {
        is_real = true;
        plain = false;
        p_ = q;
        while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
      }
    }
    std::string_view digits = s_.substr(start, p_ - start);
    size_t unit_start = p_;
    while (p_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[p_]))) ++p_;
    std::string_view unit = s_.substr(unit_start, p_ - unit_start);
    if (p_ < s_.size() && IsIdentChar(s_[p_])) {
      return Error(p_, "unexpected character after the number " + std::string(s_.substr(start, p_ - start)));
    }
    double real = 0;
    int64_t integer = 0;
    if (is_real) {
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), real);
      if (ec != std::errc() || !std::isfinite(real)) {
        return Error(start, "number " + std::string(digits) + " is out of range");
      }
    } else {
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), integer);
      if (ec != std::errc() && digits == kMinIntMagnitude && unit.empty()) {
        // Only valid after a unary minus (the parser checks): -9223372036854775808.
        t->kind = Tok::kInt;
        t->int_value = INT64_MIN;
        t->text = std::string(digits);
        return Status::Ok();
      }
      if (ec != std::errc()) {
        return Error(start,
                     "integer " + std::string(digits) + " is too large (the largest is 9223372036854775807)");
      }
      // Leading zeros would not survive printing: keep the spelling.
      if (digits.size() > 1 && digits[0] == '0') plain = false;
    }
    if (!unit.empty()) {
      std::string spelled(s_.substr(start, p_ - start));
      t->text = spelled;
      if (unit == "m") {
        t->kind = Tok::kReal;
        t->real_value = (is_real ? real : static_cast<double>(integer)) / 1000.0;
        return Status::Ok();
      }
      const Unit* found = nullptr;
      for (const Unit& u : kUnits) {
        if (unit == u.suffix) found = &u;
      }
      if (!found) {
        return Error(unit_start, "unknown unit '" + std::string(unit) +
                                     "' after a number; use m (milli), K/KiB, M/MiB, G/GiB, T/TiB or P/PiB "
                                     "(memory sizes are in MiB, units are binary and case-sensitive)");
      }
      t->kind = Tok::kInt;
      if (!is_real) {
        int64_t scaled;
        if (__builtin_mul_overflow(integer, found->num, &scaled)) {
          return Error(start, spelled + " is too large");
        }
        if (scaled % found->den != 0) {
          return Error(start, spelled + " is not a whole number of MiB");
        }
        t->int_value = scaled / found->den;
        return Status::Ok();
      }
      double v = real * static_cast<double>(found->num) / static_cast<double>(found->den);
      if (v != std::floor(v)) return Error(start, spelled + " is not a whole number of MiB");
      if (!(v < 9.2e18)) return Error(start, spelled + " is too large");
      t->int_value = static_cast<int64_t>(v);
      return Status::Ok();
    }
    if (is_real) {
      t->kind = Tok::kReal;
      t->real_value = real;
      if (!plain || FormatReal(real) != digits) t->text = std::string(digits);
    } else {
      t->kind = Tok::kInt;
      t->int_value = integer;
      if (!plain) t->text = std::string(digits);
    }
    return Status::Ok();
  }

  void Identifier(Token* t) {
    size_t start = p_;
    while (p_ < s_.size() && IsIdentChar(s_[p_])) ++p_;
    std::string_view word = s_.substr(start, p_ - start);
    t->text = std::string(word);
    t->kind = Tok::kIdent;
    if (EqualsIgnoreCase(word, "true"))
      t->kind = Tok::kTrue;
    else if (EqualsIgnoreCase(word, "false"))
      t->kind = Tok::kFalse;
    else if (EqualsIgnoreCase(word, "undefined"))
      t->kind = Tok::kUndefined;
    else if (EqualsIgnoreCase(word, "error"))
      t->kind = Tok::kError;
    else if (EqualsIgnoreCase(word, "is"))
      t->kind = Tok::kIs;
    else if (EqualsIgnoreCase(word, "isnt"))
      t->kind = Tok::kIsnt;
  }

  static int HexValue(char c) {
    if (IsDigit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Status String(Token* t) {
    size_t open = p_++;
    std::string out;
    while (true) {
      if (p_ >= s_.size()) return Error(open, "unterminated string: add the closing '\"'");
      char c = s_[p_++];
      if (c == '"') break;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (p_ >= s_.size()) return Error(open, "unterminated string: add the closing '\"'");
      char e = s_[p_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '/': out.push_back('/'); break;
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
          // Octal, as in ClassAds and C: up to three digits, at most \377.
          int v = e - '0';
          for (int k = 0; k < 2 && p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '7'; ++k) {
            v = v * 8 + (s_[p_++] - '0');
          }
          if (v > 255) return Error(p_ - 4, "octal escape in a string is above \\377");
          out.push_back(static_cast<char>(v));
          break;
        }
        case 'x': {
          int hi = p_ < s_.size() ? HexValue(s_[p_]) : -1;
          int lo = p_ + 1 < s_.size() ? HexValue(s_[p_ + 1]) : -1;
          if (hi < 0 || lo < 0) return Error(p_ - 2, "\\x in a string needs two hex digits");
          out.push_back(static_cast<char>(hi * 16 + lo));
          p_ += 2;
          break;
        }
        default:
          return Error(
              p_ - 2,
              std::string("unknown escape \\") + e +
                  " in a string (known: \\\" \\\\ \\n \\t \\r \\xHH \\ooo); write \\\\ for a backslash");
      }
    }
    t->kind = Tok::kString;
    t->text = std::move(out);
    return Status::Ok();
  }

  Status QuotedName(Token* t) {
    size_t open = p_++;
    std::string out;
    while (true) {
      if (p_ >= s_.size()) return Error(open, "unterminated attribute name: add the closing \"'\"");
      char c = s_[p_++];
      if (c == '\'') break;
      if (c == '\\' && p_ < s_.size() && (s_[p_] == '\'' || s_[p_] == '\\')) c = s_[p_++];
      out.push_back(c);
    }
    if (out.empty()) return Error(open, "empty attribute name ''");
    t->kind = Tok::kQuotedIdent;
    t->text = std::move(out);
    return Status::Ok();
  }

  Status Punctuation(Token* t) {
    auto next_is = [&](std::string_view s) { return s_.substr(p_, s.size()) == s; };
    struct Op {
      const char* text;
      Tok tok;
    };
    static constexpr Op kOps[] = {
        {"=?=", Tok::kMetaEq}, {"=!=", Tok::kMetaNe}, {">>>", Tok::kUshr}, {">>", Tok::kShr},
        {">=", Tok::kGe},      {"<<", Tok::kShl},     {"<=", Tok::kLe},    {"==", Tok::kEq},
        {"!=", Tok::kNe},      {"&&", Tok::kAndAnd},  {"||", Tok::kOrOr},  {"(", Tok::kLParen},
        {")", Tok::kRParen},   {"{", Tok::kLBrace},   {"}", Tok::kRBrace}, {"[", Tok::kLBracket},
        {"]", Tok::kRBracket}, {",", Tok::kComma},    {".", Tok::kDot},    {"?", Tok::kQuestion},
        {":", Tok::kColon},    {"+", Tok::kPlus},     {"-", Tok::kMinus},  {"*", Tok::kStar},
        {"/", Tok::kSlash},    {"%", Tok::kPercent},  {"<", Tok::kLt},     {">", Tok::kGt},
        {"!", Tok::kBang},     {"~", Tok::kTilde},    {"&", Tok::kAmp},    {"|", Tok::kPipe},
        {"^", Tok::kCaret},
    };
    for (const Op& op : kOps) {
      if (next_is(op.text)) {
        t->kind = op.tok;
        p_ += std::string_view(op.text).size();
        return Status::Ok();
      }
    }
    char c = s_[p_];
    if (c == '=') return Error(p_, "'=' is not an operator: use == to compare (or =?= for identity)");
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%02x", u);
      return Error(p_, std::string("unexpected byte ") + buf);
    }
    return Error(p_, std::string("unexpected character '") + c + "'");
  }

  std::string_view s_;
  size_t p_ = 0;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view source) {
  return Lexer(source).Run();
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd: return "the end of the expression";
    case Tok::kInt:
      return t.text.empty() ? "the number " + std::to_string(t.int_value) : "the number " + t.text;
    case Tok::kReal: return "the number " + (t.text.empty() ? FormatReal(t.real_value) : t.text);
    case Tok::kString: return "the string " + QuoteString(t.text);
    case Tok::kIdent: return "the name '" + t.text + "'";
    case Tok::kQuotedIdent: return "the name " + QuoteAttributeName(t.text);
    case Tok::kTrue:
    case Tok::kFalse:
    case Tok::kUndefined:
    case Tok::kError:
    case Tok::kIs:
    case Tok::kIsnt: return "the keyword '" + t.text + "'";
    default: break;
  }
  static constexpr std::pair<Tok, const char*> kNames[] = {
      {Tok::kLParen, "("},   {Tok::kRParen, ")"},   {Tok::kLBrace, "{"},   {Tok::kRBrace, "}"},
      {Tok::kLBracket, "["}, {Tok::kRBracket, "]"}, {Tok::kComma, ","},    {Tok::kDot, "."},
      {Tok::kQuestion, "?"}, {Tok::kColon, ":"},    {Tok::kPlus, "+"},     {Tok::kMinus, "-"},
      {Tok::kStar, "*"},     {Tok::kSlash, "/"},    {Tok::kPercent, "%"},  {Tok::kLt, "<"},
      {Tok::kLe, "<="},      {Tok::kGt, ">"},       {Tok::kGe, ">="},      {Tok::kEq, "=="},
      {Tok::kNe, "!="},      {Tok::kMetaEq, "=?="}, {Tok::kMetaNe, "=!="}, {Tok::kAndAnd, "&&"},
      {Tok::kOrOr, "||"},    {Tok::kBang, "!"},     {Tok::kTilde, "~"},    {Tok::kAmp, "&"},
      {Tok::kPipe, "|"},     {Tok::kCaret, "^"},    {Tok::kShl, "<<"},     {Tok::kShr, ">>"},
      {Tok::kUshr, ">>>"},
  };
  for (const auto& [tok, name] : kNames) {
    if (tok == t.kind) return std::string("'") + name + "'";
  }
  return "a token";
}

}  // namespace skyrun::expr
