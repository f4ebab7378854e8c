// Ads to and from JSON: an ad is a JSON object of attribute -> value
// (numbers, strings, booleans, arrays of those; null = UNDEFINED). Used by
// `skyrun expr eval --ad` and `skyrun match --nodes`, and by tests.
// Thread-safety: pure functions (building an ad interns into its schema).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/status.h"
#include "expr/schema.h"
#include "expr/value.h"

namespace skyrun::expr {

// Nested arrays deeper than this are refused.
constexpr int kMaxJsonListDepth = 32;

// The JSON value as an expression Value; strings and lists go into `arena`.
// `where` names the attribute in errors.
Result<Value> ValueFromJson(const nlohmann::json& j, Arena& arena, const std::string& where);
Result<Ad> AdFromJson(const nlohmann::json& j, Schema& schema);
// Parses text (a JSON object) into an ad; errors say what and where.
Result<Ad> ParseAdJson(std::string_view text, Schema& schema);

// UNDEFINED -> null, ERROR -> {"error": reason}, lists -> arrays.
nlohmann::json ValueToJson(const Value& v);
nlohmann::json AdToJson(const Ad& ad);

}  // namespace skyrun::expr
