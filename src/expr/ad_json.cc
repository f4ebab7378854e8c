#include "expr/ad_json.h"

#include <vector>

namespace skyrun::expr {
namespace {

Result<Value> Convert(const nlohmann::json& j, Arena& arena, const std::string& where, int depth) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::Undefined();
    case nlohmann::json::value_t::boolean: return Value::Bool(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::Int(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        return InvalidArgument(where + ": integer " + std::to_string(u) + " is too large");
      }
      return Value::Int(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::Real(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value::String(arena.CopyString(j.get_ref<const std::string&>()));
    case nlohmann::json::value_t::array: {
      if (depth >= kMaxJsonListDepth) {
        return InvalidArgument(where + ": lists nested more than " + std::to_string(kMaxJsonListDepth) +
                               " deep");
      }
      Value* items = arena.AllocateArray<Value>(j.size());
      size_t k = 0;
      for (const auto& item : j) {
        auto v = Convert(item, arena, where + "[" + std::to_string(k) + "]", depth + 1);
        if (!v.ok()) return v;
        items[k++] = *v;
      }
      return Value::List(items, static_cast<uint32_t>(k));
    }
    default:
      return InvalidArgument(where +
                             ": expected a number, string, boolean, array or null (nested objects are not "
                             "supported)");
  }
}

}  // namespace

Result<Value> ValueFromJson(const nlohmann::json& j, Arena& arena, const std::string& where) {
  return Convert(j, arena, where, 0);
}

Result<Ad> AdFromJson(const nlohmann::json& j, Schema& schema) {
  if (!j.is_object()) return InvalidArgument("an ad must be a JSON object of attribute -> value");
  Ad ad(&schema);
  Arena scratch;
  for (const auto& [name, value] : j.items()) {
    if (name.empty()) return InvalidArgument("an ad has an attribute with an empty name");
    auto v = ValueFromJson(value, scratch, "attribute '" + name + "'");
    if (!v.ok()) return v.status();
    if (!ad.Get(name).IsUndefined()) {
      return InvalidArgument("attribute '" + name + "' appears twice (names are case-insensitive)");
    }
    ad.Set(name, *v);
  }
  return ad;
}

Result<Ad> ParseAdJson(std::string_view text, Schema& schema) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("not valid JSON");
  return AdFromJson(j, schema);
}

nlohmann::json ValueToJson(const Value& v) {
  switch (v.type()) {
    case ValueType::kUndefined: return nullptr;
    case ValueType::kError: return {{"error", v.error_reason()}};
    case ValueType::kBool: return v.AsBool();
    case ValueType::kInt: return v.AsInt();
    case ValueType::kReal: return v.AsReal();
    case ValueType::kString: return std::string(v.AsString());
    case ValueType::kList: {
      nlohmann::json a = nlohmann::json::array();
      for (const Value& item : v.AsList()) a.push_back(ValueToJson(item));
      return a;
    }
  }
  return nullptr;
}

nlohmann::json AdToJson(const Ad& ad) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : ad.Attributes()) j[name] = ValueToJson(value);
  return j;
}

}  // namespace skyrun::expr
