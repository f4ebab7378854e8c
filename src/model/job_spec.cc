#include "model/job_spec.h"

namespace skyrun {

const char* JobModeName(JobMode mode) {
  switch (mode) {
    case JobMode::kSingle: return "single";
    case JobMode::kGang: return "gang";
    case JobMode::kPsWorker: return "ps-worker";
    case JobMode::kPipeline: return "pipeline";
    case JobMode::kService: return "service";
  }
  return "single";
}

MilliGpu ResourceRequest::GpuMilliFor(const std::string& model) const {
  if (gpu_milli.IsPositive()) return gpu_milli;
  auto it = accelerators.find(model);
  if (it == accelerators.end()) return MilliGpu(0);
  return MilliGpu(kMilliPerUnit) * it->second;
}

int JobSpec::TaskCount() const {
  if (mode == JobMode::kPsWorker && !roles.empty()) {
    int n = 0;
    for (const auto& r : roles) n += r.count;
    return n;
  }
  return num_nodes;
}

}  // namespace skyrun
