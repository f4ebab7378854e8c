// API request metrics for /metrics: a latency histogram and a counter per
// route and status class, rendered in Prometheus text format.
// Thread-safety: thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace skyrun {

class ApiMetrics {
 public:
  void ObserveRequest(const std::string& route, int http_status, double seconds);
  void Render(std::ostream& out) const;

 private:
  struct Series {
    std::vector<int64_t> buckets;  // cumulative counts
    int64_t count = 0;
    double sum = 0;
  };
  static const std::vector<double>& Bounds();
  mutable std::mutex mu_;
  std::map<std::string, Series> latency_;                            // by route
  std::map<std::pair<std::string, std::string>, int64_t> requests_;  // (route, code class)
};

}  // namespace skyrun
