#include "expr/vocabulary.h"

#include "common/strings.h"

namespace skyrun::expr {
namespace {

constexpr AttributeInfo kNode[] = {
    {"Name", ValueType::kString, "node name, unique in the fleet (\"slurm/hpc1/node1\")"},
    {"Backend", ValueType::kString,
     "where the node comes from: \"local\", \"slurm/hpc1\", \"kubernetes/prod\""},
    {"State", ValueType::kString, "\"UP\", \"DRAIN\" or \"DOWN\""},
    {"Cpus", ValueType::kInt, "whole CPUs (rounded down)"},
    {"CpusMilli", ValueType::kInt, "CPUs in milli-units"},
    {"MemoryMiB", ValueType::kInt, "memory in MiB"},
    {"Gpus", ValueType::kInt, "number of GPU devices"},
    {"GpuModel", ValueType::kString, "model of the first GPU (\"A100-80GB\"); UNDEFINED without GPUs"},
    {"GpuModels", ValueType::kList, "models of all GPUs, by device index"},
    {"GpuMemoryMB", ValueType::kInt,
     "memory of the first GPU in MB (as nvidia-smi reports it); UNDEFINED without GPUs"},
    {"GpuClass", ValueType::kString,
     "\"training\" or \"inference\" (attribute GpuClass, else from the model)"},
    {"NVLink", ValueType::kBool, "true when some pair of GPUs is linked by NVLink"},
    {"Provider", ValueType::kString,
     "cloud or site: \"aws\", \"gcp\", \"local\", \"slurm\" (attribute, else the backend kind)"},
    {"Region", ValueType::kString, "\"us-east-1\""},
    {"Zone", ValueType::kString, "\"us-east-1a\""},
    {"Country", ValueType::kString, "ISO 3166 code: \"US\", \"DE\""},
    {"HourlyPrice", ValueType::kReal, "USD per hour for the whole node (GPUs and CPUs)"},
    {"SpotPrice", ValueType::kReal, "USD per hour on spot/preemptible terms, when offered"},
    {"Spot", ValueType::kBool, "true for spot/preemptible capacity"},
    {"Tenant", ValueType::kString, "the tenant the node is dedicated to, if any"},
    {"RunningTenants", ValueType::kList, "tenants with tasks on the node now (set by the scheduler)"},
    {"Labels", ValueType::kList, "free-form labels (attribute Labels, comma-separated)"},
    {"Policy", ValueType::kString, "the node's policy expression (see Matching)"},
};

constexpr AttributeInfo kJob[] = {
    {"Name", ValueType::kString, "job name"},
    {"Tenant", ValueType::kString, "the submitting tenant"},
    {"Queue", ValueType::kString, "the tenant queue"},
    {"JobClass", ValueType::kString, "\"training\" (batch modes) or \"inference\" (mode: service)"},
    {"Mode", ValueType::kString, "\"single\", \"gang\", \"ps-worker\", \"pipeline\", \"service\""},
    {"Priority", ValueType::kInt, "job priority"},
    {"Gpus", ValueType::kInt, "whole GPUs per task (0 for a GPU share or no GPU)"},
    {"GpuMilli", ValueType::kInt, "GPU per task in milli-units (1000 per whole GPU)"},
    {"Accelerators", ValueType::kList, "the accepted GPU models"},
    {"Cpus", ValueType::kInt, "CPUs per task (rounded up)"},
    {"CpusMilli", ValueType::kInt, "CPUs per task in milli-units"},
    {"MemoryMiB", ValueType::kInt, "memory per task in MiB (0: not stated)"},
    {"NumNodes", ValueType::kInt, "nodes of a gang"},
    {"Tasks", ValueType::kInt, "tasks the job starts"},
    {"UseSpot", ValueType::kBool, "whether spot capacity is acceptable"},
    {"MaxHourlyCost", ValueType::kReal, "USD per hour cap; UNDEFINED when none"},
    {"Objective", ValueType::kString, "\"cost\" or \"time\""},
    {"Image", ValueType::kString, "container image; UNDEFINED when none"},
};

const AttributeInfo* Find(std::span<const AttributeInfo> table, std::string_view name) {
  for (const AttributeInfo& a : table) {
    if (EqualsIgnoreCase(a.name, name)) return &a;
  }
  return nullptr;
}

}  // namespace

std::span<const AttributeInfo> NodeVocabulary() {
  return kNode;
}
std::span<const AttributeInfo> JobVocabulary() {
  return kJob;
}
const AttributeInfo* FindNodeAttribute(std::string_view name) {
  return Find(kNode, name);
}
const AttributeInfo* FindJobAttribute(std::string_view name) {
  return Find(kJob, name);
}

}  // namespace skyrun::expr
