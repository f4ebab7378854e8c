#include "server/job_shapes.h"

namespace skyrun {

JobShapes::JobShapes(SpecDecoder decoder, size_t capacity)
    : decoder_(std::move(decoder)), capacity_(capacity) {}

void JobShapes::Remember(JobId id, const JobSpec& spec) {
  Put(id, {spec.mode, spec.TaskCount()});
}

void JobShapes::Put(JobId id, JobShape shape) {
  std::lock_guard<std::mutex> lock(mu_);
  shapes_[id] = shape;
  // Ids grow with time: the oldest jobs, the least read, go first.
  while (shapes_.size() > capacity_) shapes_.erase(shapes_.begin());
}

void JobShapes::Fill(JobRecord& rec) {
  std::optional<JobShape> shape;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shapes_.find(rec.id);
    if (it != shapes_.end()) shape = it->second;
  }
  if (!shape) {
    auto spec = decoder_(rec.spec_yaml, rec.spec_file);
    {
      std::lock_guard<std::mutex> lock(mu_);
      parses_++;
    }
    // A spec that no longer parses shows as one single task, as before.
    shape = spec.ok() ? JobShape{spec->mode, spec->TaskCount()} : JobShape{};
    Put(rec.id, *shape);
  }
  // The listings read mode and TaskCount() only; with no roles, TaskCount() is num_nodes.
  rec.spec.mode = shape->mode;
  rec.spec.roles.clear();
  rec.spec.num_nodes = shape->num_tasks;
}

int64_t JobShapes::parses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parses_;
}

}  // namespace skyrun
