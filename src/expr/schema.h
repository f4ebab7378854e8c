// Schema and Ad: attribute storage for evaluation.
//
// A Schema maps attribute names (case-insensitive) to dense slot numbers.
// Compile() resolves every attribute an expression reads to a slot once, so
// evaluation reads ad.values()[slot] instead of looking names up. Ads of one
// side (all nodes, say) share one Schema; an ad holds a Value per slot, and a
// slot added to the schema after the ad was filled simply reads UNDEFINED.
//
// An Ad owns the strings and lists of its values (an arena), so Values read
// from it stay valid as long as the ad lives and the attribute is not set
// again. Built programmatically (Set*) or from JSON (ad_json.h), and by
// NodeAd/JobAd (ads.h).
//
// Thread-safety: a Schema and its Ads may be read concurrently (evaluation
// only reads); Intern() and Ad::Set*() must not run while anything else uses
// the same Schema or Ad. The Schema must outlive its Ads and the compiled
// expressions that refer to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "expr/arena.h"
#include "expr/value.h"

namespace skyrun::expr {

class Schema {
 public:
  Schema() = default;
  Schema(const Schema&) = delete;  // ads and compiled expressions hold its address
  Schema& operator=(const Schema&) = delete;

  // The slot of `name`, added if new. Names differing only in case share it.
  uint32_t Intern(std::string_view name);
  std::optional<uint32_t> Find(std::string_view name) const;
  // The name as first interned.
  const std::string& name(uint32_t slot) const { return names_[slot]; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

 private:
  std::unordered_map<std::string, uint32_t> slots_;  // lower-cased name -> slot
  std::vector<std::string> names_;
};

class Ad {
 public:
  explicit Ad(Schema* schema) : schema_(schema) { values_.reserve(schema->size()); }
  Ad(const Ad& other);
  Ad& operator=(const Ad& other);
  Ad(Ad&&) noexcept = default;
  Ad& operator=(Ad&&) noexcept = default;

  Schema* schema() const { return schema_; }

  // Sets an attribute; strings and lists are copied into the ad. Setting
  // UNDEFINED removes it.
  void Set(std::string_view name, const Value& v);
  void SetSlot(uint32_t slot, const Value& v);
  void SetInt(std::string_view name, int64_t v) { Set(name, Value::Int(v)); }
  void SetReal(std::string_view name, double v) { Set(name, Value::Real(v)); }
  void SetBool(std::string_view name, bool v) { Set(name, Value::Bool(v)); }
  void SetString(std::string_view name, std::string_view v) { Set(name, Value::String(v)); }
  void SetStringList(std::string_view name, const std::vector<std::string>& items);

  // UNDEFINED when absent.
  Value Get(std::string_view name) const;
  Value GetSlot(uint32_t slot) const { return slot < values_.size() ? values_[slot] : Value(); }

  // The evaluator's view: values()[slot] for slot < size().
  const Value* values() const { return values_.data(); }
  uint32_t size() const { return static_cast<uint32_t>(values_.size()); }

  // The defined attributes, in slot order, as (name, value).
  std::vector<std::pair<std::string, Value>> Attributes() const;
  // [ Cpus = 8; GpuModel = "A100" ], in slot order.
  std::string ToString() const;

 private:
  Schema* schema_;
  std::vector<Value> values_;
  Arena arena_;
};

}  // namespace skyrun::expr
