// The ads skyrun publishes for matching: a node's (NodeAd) and a job's
// (JobAd), built from the model types with the vocabulary of vocabulary.h.
// This file is the only part of expr that knows model types; it is its own
// library (skyrun_expr_ads) so the language core depends on common only.
//
// Node ads: hardware facts come from the Node (Cpus, MemoryMiB, Gpus,
// GpuModel and GpuMemoryMB of the first device, NVLink from the links,
// HourlyPrice from the prices); every entry of node.attributes is published
// too (Region, Country, Zone, Provider, Tenant, Spot, SpotPrice, GpuClass,
// Labels as a comma-separated list, Policy, or any free-form name), and may
// override the derived defaults of GpuClass, Provider, NVLink and
// HourlyPrice. Attribute values that read as integers or true/false become
// integers and booleans; the rest stay strings.
//
// Callers: the scheduler and optimizer (LEAD), `skyrun match`.
// Thread-safety: pure functions (they intern names into the schema).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/matcher.h"
#include "expr/schema.h"
#include "model/job_spec.h"
#include "model/node.h"

namespace skyrun::expr {

// `running_tenants`, when known, is published as RunningTenants (the tenants
// with tasks on the node now), for tenant-aware anti-affinity policies.
Ad NodeAd(const Node& node, Schema& schema, const std::vector<std::string>* running_tenants = nullptr);

// The job side. `queue` overrides spec.queue when not empty. With a role
// (ps-worker), the resources are that role's.
Ad JobAd(const JobSpec& spec, std::string_view tenant, std::string_view queue, Schema& schema,
         const Role* role = nullptr);

// "training" or "inference" for a GPU model name ("T4", "L4", "A10G" are
// inference parts; unknown models count as training).
std::string GpuClassOf(std::string_view gpu_model);

// The node's policy (attribute "Policy", any case), compiled with MY = node,
// TARGET = job. An empty or absent policy is TRUE. Errors name the node.
Result<Condition> NodePolicy(const Node& node, Schema& node_schema, Schema& job_schema);

}  // namespace skyrun::expr
