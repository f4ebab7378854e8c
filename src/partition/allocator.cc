#include "partition/allocator.h"

#include <functional>

#include "common/strings.h"

namespace skyrun::partition {
namespace {

using FixedOrderFn = AllocResult (*)(const Instance&, const std::vector<int>&, const AllocOptions&);

// An algorithm that works on the given device order.
class FixedOrderAllocator : public Allocator {
 public:
  FixedOrderAllocator(std::string name, FixedOrderFn fn) : name_(std::move(name)), fn_(fn) {}
  std::string_view name() const override { return name_; }
  AllocResult Allocate(const Instance& instance, const AllocOptions& options) const override {
    return fn_(instance, IdentityOrder(instance.devices()), options);
  }

 private:
  std::string name_;
  FixedOrderFn fn_;
};

class OrderedAllocator : public Allocator {
 public:
  std::string_view name() const override { return "ordered"; }
  AllocResult Allocate(const Instance& instance, const AllocOptions& options) const override {
    return AllocateOrdered(instance, options);
  }
};

}  // namespace

std::vector<std::string> AllocatorNames() {
  return {"even", "heuristic", "exact", "exact-comm", "ordered"};
}

Result<std::unique_ptr<Allocator>> MakeAllocator(std::string_view name) {
  if (name == "even") return std::unique_ptr<Allocator>(new FixedOrderAllocator("even", &AllocateEven));
  if (name == "heuristic") {
    return std::unique_ptr<Allocator>(new FixedOrderAllocator("heuristic", &AllocateHeuristic));
  }
  if (name == "exact") return std::unique_ptr<Allocator>(new FixedOrderAllocator("exact", &AllocateExact));
  if (name == "exact-comm") {
    return std::unique_ptr<Allocator>(new FixedOrderAllocator("exact-comm", &AllocateExactComm));
  }
  if (name == "ordered") return std::unique_ptr<Allocator>(new OrderedAllocator());
  std::string message = "unknown algorithm '" + std::string(name) + "'";
  if (auto near = NearestName(name, AllocatorNames())) message += "; did you mean '" + *near + "'?";
  return InvalidArgument(message + " Algorithms: " + Join(AllocatorNames(), ", ") + ", or all");
}

}  // namespace skyrun::partition
