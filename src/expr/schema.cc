#include "expr/schema.h"

#include "common/strings.h"
#include "expr/ast.h"

namespace skyrun::expr {

uint32_t Schema::Intern(std::string_view name) {
  std::string key = ToLower(name);
  auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;
  uint32_t slot = static_cast<uint32_t>(names_.size());
  slots_.emplace(std::move(key), slot);
  names_.emplace_back(name);
  return slot;
}

std::optional<uint32_t> Schema::Find(std::string_view name) const {
  auto it = slots_.find(ToLower(name));
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

Ad::Ad(const Ad& other) : schema_(other.schema_) {
  values_.resize(other.values_.size());
  for (size_t k = 0; k < values_.size(); ++k) values_[k] = CopyValue(other.values_[k], arena_);
}

Ad& Ad::operator=(const Ad& other) {
  if (this != &other) *this = Ad(other);
  return *this;
}

void Ad::SetSlot(uint32_t slot, const Value& v) {
  if (slot >= values_.size()) {
    if (v.IsUndefined()) return;
    values_.resize(slot + 1);
  }
  values_[slot] = CopyValue(v, arena_);
}

void Ad::Set(std::string_view name, const Value& v) {
  if (v.IsUndefined()) {
    if (auto slot = schema_->Find(name)) SetSlot(*slot, v);
    return;
  }
  SetSlot(schema_->Intern(name), v);
}

void Ad::SetStringList(std::string_view name, const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const std::string& s : items) values.push_back(Value::String(s));
  Set(name, Value::List(values.data(), static_cast<uint32_t>(values.size())));
}

Value Ad::Get(std::string_view name) const {
  auto slot = schema_->Find(name);
  return slot ? GetSlot(*slot) : Value();
}

std::vector<std::pair<std::string, Value>> Ad::Attributes() const {
  std::vector<std::pair<std::string, Value>> out;
  for (uint32_t k = 0; k < values_.size(); ++k) {
    if (!values_[k].IsUndefined()) out.emplace_back(schema_->name(k), values_[k]);
  }
  return out;
}

std::string Ad::ToString() const {
  std::string out = "[";
  bool first = true;
  for (const auto& [name, value] : Attributes()) {
    out += first ? " " : "; ";
    first = false;
    out += IsPlainAttributeName(name) ? name : QuoteAttributeName(name);
    out += " = " + value.ToString();
  }
  out += first ? "]" : " ]";
  return out;
}

}  // namespace skyrun::expr
