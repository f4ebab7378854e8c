#include "server/metrics.h"

namespace skyrun {

const std::vector<double>& ApiMetrics::Bounds() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,   0.25,   0.5,   1};
  return kBounds;
}

void ApiMetrics::ObserveRequest(const std::string& route, int http_status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = latency_[route];
  if (s.buckets.empty()) s.buckets.assign(Bounds().size(), 0);
  for (size_t i = 0; i < Bounds().size(); ++i)
    if (seconds <= Bounds()[i]) s.buckets[i]++;
  s.count++;
  s.sum += seconds;
  requests_[{route, std::to_string(http_status / 100) + "xx"}]++;
}

namespace {
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}
}  // namespace

void ApiMetrics::Render(std::ostream& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out << "# HELP skyrun_api_requests_total API requests by route and status class.\n"
      << "# TYPE skyrun_api_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "skyrun_api_requests_total{route=\"" << Escape(key.first) << "\",code=\"" << key.second << "\"} "
        << n << "\n";
  }
  out << "# HELP skyrun_api_request_duration_seconds API latency by route.\n"
      << "# TYPE skyrun_api_request_duration_seconds histogram\n";
  for (const auto& [route, s] : latency_) {
    std::string r = Escape(route);
    for (size_t i = 0; i < Bounds().size(); ++i) {
      out << "skyrun_api_request_duration_seconds_bucket{route=\"" << r << "\",le=\"" << Bounds()[i] << "\"} "
          << s.buckets[i] << "\n";
    }
    out << "skyrun_api_request_duration_seconds_bucket{route=\"" << r << "\",le=\"+Inf\"} " << s.count
        << "\n";
    out << "skyrun_api_request_duration_seconds_sum{route=\"" << r << "\"} " << s.sum << "\n";
    out << "skyrun_api_request_duration_seconds_count{route=\"" << r << "\"} " << s.count << "\n";
  }
}

}  // namespace skyrun
