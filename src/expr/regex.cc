#include "expr/regex.h"

#include <re2/re2.h>

#include <cctype>
#include <utility>
#include <vector>

namespace skyrun::expr {
namespace {

using re2::RE2;

RE2::Options ToRe2Options(const RegexOptions& options) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // bytes are bytes: no UTF-8 decoding
  o.set_case_sensitive(!options.ignore_case);
  o.set_dot_nl(options.dot_all);
  o.set_never_capture(!options.capture);  // usually only "does it match" is asked
  o.set_log_errors(false);                // errors come back as a Status, never on stderr
  o.set_max_mem(Regex::kMaxMemoryBytes);
  return o;
}

// RE2 has no option for multi-line anchors outside POSIX mode (which would
// lose (?:) and \d); its inline flag does it.
std::string Re2Pattern(std::string_view pattern, const RegexOptions& options) {
  std::string out = options.multiline ? "(?m)" : "";
  if (!options.extended) {
    out.append(pattern);
    return out;
  }
  // Extended mode by hand: drop unescaped whitespace and # comments outside
  // character classes.
  bool in_class = false;
  for (size_t k = 0; k < pattern.size(); ++k) {
    const char c = pattern[k];
    if (c == '\\' && k + 1 < pattern.size()) {
      out += c;
      out += pattern[++k];
    } else if (in_class) {
      if (c == ']') in_class = false;
      out += c;
    } else if (c == '[') {
      in_class = true;
      out += c;
      if (k + 1 < pattern.size() && pattern[k + 1] == '^') out += pattern[++k];
      if (k + 1 < pattern.size() && pattern[k + 1] == ']') out += pattern[++k];
    } else if (c == '#') {
      while (k + 1 < pattern.size() && pattern[k + 1] != '\n') ++k;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  return out;
}

// Where the parentheses fail to pair: the first ')' with no '(' before it,
// else the last '(' left open. RE2 names the whole pattern for both errors.
size_t UnpairedParen(std::string_view pattern) {
  std::vector<size_t> open;
  for (size_t k = 0; k < pattern.size(); ++k) {
    const char c = pattern[k];
    if (c == '\\') {
      ++k;  // an escaped character is never a parenthesis
    } else if (c == '[') {
      // A class: ']' right after '[' or '[^' is a member; '\\' escapes; "[:alpha:]" nests.
      size_t j = k + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      for (; j < pattern.size() && pattern[j] != ']'; ++j) {
        if (pattern[j] == '\\') {
          ++j;
        } else if (pattern.compare(j, 2, "[:") == 0) {
          const size_t end = pattern.find(":]", j + 2);
          if (end != std::string_view::npos) j = end + 1;
        }
      }
      k = j;
    } else if (c == '(') {
      open.push_back(k);
    } else if (c == ')') {
      if (open.empty()) return k;
      open.pop_back();
    }
  }
  return open.empty() ? std::string_view::npos : open.back();
}

// RE2's error in the words of docs/expressions.md, with the offending piece
// and, when it can be found in the pattern as written, its offset.
std::string DescribeError(const RE2& re, std::string_view pattern) {
  const std::string& arg = re.error_arg();
  size_t at = arg.empty() ? std::string_view::npos : pattern.find(arg);
  // "(?P" also opens the named groups RE2 accepts: find the one it refused.
  while (arg == "(?P" && at != std::string_view::npos && pattern.compare(at, 4, "(?P<") == 0) {
    at = pattern.find(arg, at + 1);
  }
  const std::string_view rest = at == std::string_view::npos ? std::string_view() : pattern.substr(at);
  const bool back_reference =
      (arg.size() >= 2 && arg[0] == '\\' &&
       (std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == 'k' || arg[1] == 'g')) ||
      rest.starts_with("(?P=") || rest.starts_with("(?P>");
  const bool look_around = rest.starts_with("(?=") || rest.starts_with("(?!") || rest.starts_with("(?<=") ||
                           rest.starts_with("(?<!");
  std::string what;
  switch (re.error_code()) {
    case RE2::ErrorMissingParen:
      what = "missing ')' for the '('";
      at = UnpairedParen(pattern);
      break;
    case RE2::ErrorUnexpectedParen:
      what = "unmatched ')'";
      at = UnpairedParen(pattern);
      break;
    case RE2::ErrorRepeatArgument: what = "nothing to repeat before '" + arg + "'"; break;
    case RE2::ErrorRepeatSize:
      what = "invalid repetition '" + arg + "' (counts go up to 1000, the smaller first)";
      break;
    case RE2::ErrorRepeatOp:
      what = "bad repetition operator '" + arg + "' (possessive quantifiers are not supported)";
      break;
    case RE2::ErrorMissingBracket: what = "missing ']' for the class '" + arg + "'"; break;
    case RE2::ErrorBadCharRange: what = "invalid character range '" + arg + "'"; break;
    case RE2::ErrorBadCharClass: what = "invalid character class '" + arg + "'"; break;
    case RE2::ErrorTrailingBackslash: what = "the pattern ends with a lone '\\'"; break;
    case RE2::ErrorPatternTooLarge:
      what = "the pattern is too large (its compiled form would exceed " +
             std::to_string(Regex::kMaxMemoryBytes >> 20) + " MiB)";
      break;
    case RE2::ErrorBadEscape:
    case RE2::ErrorBadPerlOp:
    case RE2::ErrorBadNamedCapture:
      if (back_reference) {
        // RE2 names "\\1" whole but "(?P=x)" only as "(?P": show what the user wrote.
        const std::string piece = arg.size() > 3 ? arg : std::string(rest.substr(0, arg[0] == '\\' ? 2 : 4));
        what =
            "back-reference '" + piece +
            "' is not supported: regexp() matches in linear time, which back-references rule out; spell out "
            "the repeated text instead";
      } else if (look_around) {
        what = "look-around '" + std::string(rest.substr(0, rest[2] == '<' ? 4 : 3)) +
               "' is not supported: regexp() matches in linear time, which look-around rules out";
      } else if (re.error_code() == RE2::ErrorBadEscape) {
        what = "invalid escape sequence '" + arg + "'";
      } else {
        what = "unsupported group syntax '" + arg + "'";
      }
      break;
    default: what = re.error(); break;
  }
  if (at != std::string_view::npos) what += " at offset " + std::to_string(at) + " of the pattern";
  return what;
}

// Characters with a meaning outside a class; any other printable ASCII
// character stands for itself.
bool IsMeta(char c) {
  switch (c) {
    case '\\':
    case '.':
    case '+':
    case '*':
    case '?':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '|':
    case '^':
    case '$': return true;
    default: return false;
  }
}

char FoldAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Reads the literal character at pattern[*k] (printable ASCII that is not a
// metacharacter, or a backslash and a metacharacter) into *out.
bool ReadLiteralChar(std::string_view pattern, size_t* k, char* out) {
  const char c = pattern[*k];
  if (c == '\\') {
    if (*k + 1 >= pattern.size() || !IsMeta(pattern[*k + 1])) return false;  // \d, \b, \x41, ...
    *out = pattern[*k + 1];
    *k += 2;
    return true;
  }
  if (c < 0x20 || c > 0x7e || IsMeta(c)) return false;
  *out = c;
  ++*k;
  return true;
}

// The plain strings a literal pattern stands for (see regex.h), or nothing
// when it is not one. Only called on patterns RE2 accepted.
std::vector<Regex::Literal> LiteralAlternatives(std::string_view p, const RegexOptions& options) {
  if (options.multiline || options.extended) return {};
  std::vector<Regex::Literal> out;
  size_t k = 0;
  for (;;) {  // one top-level alternative per round
    std::vector<std::string> partial = {""};
    bool at_start = false;
    bool at_end = false;
    if (k < p.size() && p[k] == '^') {
      at_start = true;
      ++k;
    }
    while (k < p.size() && p[k] != '|') {
      if (p[k] == '$') {
        ++k;
        if (k < p.size() && p[k] != '|') return {};  // '$' only ends an alternative
        at_end = true;
        break;
      }
      if (p[k] == '(') {  // a group of literal alternatives, no quantifier
        ++k;
        if (p.substr(k).starts_with("?:")) k += 2;
        std::vector<std::string> group = {""};
        for (;;) {
          if (k >= p.size()) return {};
          if (p[k] == ')') {
            ++k;
            break;
          }
          if (p[k] == '|') {
            group.emplace_back();
            ++k;
            continue;
          }
          char c = 0;
          if (!ReadLiteralChar(p, &k, &c)) return {};
          group.back() += c;
        }
        if (partial.size() * group.size() + out.size() > Regex::kMaxLiteralAlternatives) return {};
        std::vector<std::string> expanded;
        for (const std::string& a : partial) {
          for (const std::string& b : group) expanded.push_back(a + b);
        }
        partial = std::move(expanded);
        continue;
      }
      char c = 0;
      if (!ReadLiteralChar(p, &k, &c)) return {};
      for (std::string& a : partial) a += c;
    }
    if (partial.size() + out.size() > Regex::kMaxLiteralAlternatives) return {};
    for (std::string& a : partial) {
      if (options.ignore_case) {
        for (char& c : a) c = FoldAscii(c);
      }
      out.push_back({std::move(a), at_start, at_end});
    }
    if (k >= p.size()) return out;
    ++k;  // the '|'
  }
}

// `text` at `at` spells `lower` (already folded) without regard to ASCII case.
bool FoldedEqualAt(std::string_view text, size_t at, std::string_view lower) {
  for (size_t j = 0; j < lower.size(); ++j) {
    if (FoldAscii(text[at + j]) != lower[j]) return false;
  }
  return true;
}

bool ContainsLiteral(std::string_view text, const Regex::Literal& l, bool ignore_case) {
  const std::string_view s = l.text;
  if (s.size() > text.size()) return false;
  if (l.at_start && l.at_end && s.size() != text.size()) return false;
  if (!ignore_case) {
    if (l.at_start) return text.starts_with(s) && (!l.at_end || text.size() == s.size());
    if (l.at_end) return text.ends_with(s);
    return text.find(s) != std::string_view::npos;
  }
  if (l.at_start) return FoldedEqualAt(text, 0, s);
  if (l.at_end) return FoldedEqualAt(text, text.size() - s.size(), s);
  for (size_t at = 0; at + s.size() <= text.size(); ++at) {
    if (FoldedEqualAt(text, at, s)) return true;
  }
  return false;
}

Result<std::unique_ptr<RE2>> Build(std::string_view pattern, const RegexOptions& options) {
  auto re = std::make_unique<RE2>(Re2Pattern(pattern, options), ToRe2Options(options));
  if (!re->ok()) return InvalidArgument(DescribeError(*re, pattern));
  return re;
}

}  // namespace

Result<RegexOptions> ParseRegexOptions(std::string_view letters) {
  RegexOptions o;
  for (char c : letters) {
    switch (c) {
      case 'i':
      case 'I': o.ignore_case = true; break;
      case 'm':
      case 'M': o.multiline = true; break;
      case 's':
      case 'S': o.dot_all = true; break;
      case 'x':
      case 'X': o.extended = true; break;
      default:
        return InvalidArgument(std::string("unknown regexp option '") + c +
                               "': the options are i (ignore case), m (multi-line), s (. matches newline), "
                               "x (extended)");
    }
  }
  return o;
}

Regex::Regex(std::string pattern, RegexOptions options, std::unique_ptr<re2::RE2> re)
    : pattern_(std::move(pattern)),
      options_(options),
      re_(std::move(re)),
      literals_(LiteralAlternatives(pattern_, options_)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

Result<Regex> Regex::Compile(std::string_view pattern, RegexOptions options) {
  auto re = Build(pattern, options);
  if (!re.ok()) return re.status();
  return Regex(std::string(pattern), options, std::move(re).value());
}

Status Regex::Validate(std::string_view pattern, RegexOptions options) {
  auto re = Build(pattern, options);
  return re.ok() ? Status::Ok() : re.status();
}

bool Regex::SearchLiterals(std::string_view text) const {
  for (const Literal& l : literals_) {
    if (ContainsLiteral(text, l, options_.ignore_case)) return true;
  }
  return false;
}

bool Regex::Search(std::string_view text) const {
  if (!literals_.empty()) return SearchLiterals(text);
  return re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, nullptr, 0);
}

bool Regex::Substitute(std::string_view text, std::string_view rewrite, SubstMode mode, std::string* out,
                       std::string* error) const {
  const re2::StringPiece rw(rewrite.data(), rewrite.size());
  if (!re_->CheckRewriteString(rw, error)) return false;
  const re2::StringPiece in(text.data(), text.size());
  out->clear();
  switch (mode) {
    case SubstMode::kExtract:
      if (!RE2::Extract(in, *re_, rw, out)) out->clear();
      return true;
    case SubstMode::kReplaceFirst:
      out->assign(text);
      RE2::Replace(out, *re_, rw);
      return true;
    case SubstMode::kReplaceAll:
      out->assign(text);
      RE2::GlobalReplace(out, *re_, rw);
      return true;
  }
  return true;
}

}  // namespace skyrun::expr
