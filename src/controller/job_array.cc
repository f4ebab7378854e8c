#include "controller/job_array.h"

namespace skyrun {

std::string ArrayGate::KeyOf(const JobRecord& rec) {
  const JobArray& a = rec.spec.array;
  if (!a.present() || a.limit <= 0 || a.task_id < 0) return "";
  int64_t first = a.array_job_id > 0 ? a.array_job_id : rec.id.value();
  return std::to_string(rec.tenant.value()) + "/" + std::to_string(first);
}

void ArrayGate::CountHolding(const JobRecord& rec) {
  std::string key = KeyOf(rec);
  if (!key.empty()) ++counted_[key];
}

bool ArrayGate::Admit(const JobRecord& rec) {
  std::string key = KeyOf(rec);
  if (key.empty()) return true;
  int& n = counted_[key];
  if (n >= rec.spec.array.limit) return false;
  ++n;
  return true;
}

std::string ArrayGate::WaitReason(const JobRecord& rec) {
  const JobArray& a = rec.spec.array;
  int64_t first = a.array_job_id > 0 ? a.array_job_id : rec.id.value();
  return "array " + std::to_string(first) + " runs at most " + std::to_string(a.limit) + " at once (%" +
         std::to_string(a.limit) + ")";
}

}  // namespace skyrun
