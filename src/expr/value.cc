#include "expr/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "expr/arena.h"

namespace skyrun::expr {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUndefined: return "UNDEFINED";
    case ValueType::kError: return "ERROR";
    case ValueType::kBool: return "boolean";
    case ValueType::kInt: return "integer";
    case ValueType::kReal: return "real";
    case ValueType::kString: return "string";
    case ValueType::kList: return "list";
  }
  return "?";
}

std::string QuoteString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string FormatReal(double r) {
  if (std::isnan(r)) return "nan";
  if (std::isinf(r)) return r > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r);
  std::string out(buf, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

std::string RealAsText(double r) {
  if (std::isnan(r)) return "real(\"NaN\")";
  if (std::isinf(r)) return r > 0 ? "real(\"INF\")" : "real(\"-INF\")";
  if (r == 0) return std::signbit(r) ? "-0.0" : "0.0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15E", r);
  return buf;
}

std::string Value::ToString() const {
  switch (type_) {
    case ValueType::kUndefined: return "UNDEFINED";
    case ValueType::kError: return "ERROR";
    case ValueType::kBool: return i_ ? "true" : "false";
    case ValueType::kInt: return std::to_string(i_);
    case ValueType::kReal: return FormatReal(r_);
    case ValueType::kString: return QuoteString(AsString());
    case ValueType::kList: {
      std::string out = "{";
      for (uint32_t k = 0; k < size_; ++k) {
        if (k) out += ", ";
        out += list_[k].ToString();
      }
      out += "}";
      return out;
    }
  }
  return "?";
}

Value CopyValue(const Value& v, Arena& arena) {
  if (v.IsString()) return Value::String(arena.CopyString(v.AsString()));
  if (!v.IsList()) return v;
  auto items = v.AsList();
  Value* out = arena.AllocateArray<Value>(items.size());
  for (size_t k = 0; k < items.size(); ++k) out[k] = CopyValue(items[k], arena);
  return Value::List(out, static_cast<uint32_t>(items.size()));
}

bool Identical(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kUndefined:
    case ValueType::kError: return true;
    case ValueType::kBool: return a.AsBool() == b.AsBool();
    case ValueType::kInt: return a.AsInt() == b.AsInt();
    case ValueType::kReal:
      return a.AsReal() == b.AsReal() || (std::isnan(a.AsReal()) && std::isnan(b.AsReal()));
    case ValueType::kString: return a.AsString() == b.AsString();
    case ValueType::kList: {
      auto x = a.AsList();
      auto y = b.AsList();
      if (x.size() != y.size()) return false;
      for (size_t k = 0; k < x.size(); ++k) {
        if (!Identical(x[k], y[k])) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace skyrun::expr
