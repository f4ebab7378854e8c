// The attribute vocabulary skyrun publishes: what every node and offer ad
// carries (NodeAd in ads.h fills it from a model Node; the catalog's offers
// publish the same names), and what a job ad carries for the node side (JobAd).
// The type checker reads the types from here, so "GpuModel > 5" is refused
// at submission. Kept free of model types on purpose: common <- expr.
// docs/expressions.md has the same tables. Thread-safety: constant data.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "expr/value.h"

namespace skyrun::expr {

struct AttributeInfo {
  const char* name;
  ValueType type;  // kList for lists; kReal for prices
  const char* meaning;
};

std::span<const AttributeInfo> NodeVocabulary();
std::span<const AttributeInfo> JobVocabulary();

// Case-insensitive lookups; nullptr when the name is not in the vocabulary
// (free-form attributes from a node's config are still readable).
const AttributeInfo* FindNodeAttribute(std::string_view name);
const AttributeInfo* FindJobAttribute(std::string_view name);

}  // namespace skyrun::expr
