// `skyrun match JOB.yaml --nodes NODES.json`: the matching nodes with their
// rank, best first, and for each rejected node the first clause that failed.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "expr/ads.h"
#include "expr/check.h"
#include "expr/expr_cli.h"
#include "expr/matcher.h"
#include "expr/nodes_file.h"
#include "spec/spec_parser.h"

namespace skyrun::expr {
namespace {

constexpr int kExitNoMatch = 1;
constexpr int kExitBadInput = 2;

struct Outcome {
  std::string node;
  MatchResult result;
};

std::string FormatRank(const MatchResult& r) {
  if (!r.rank_defined) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", r.rank);
  return buf;
}

}  // namespace

int RunMatch(const std::string& job_file, const std::string& nodes_file, const std::string& tenant, bool json,
             std::ostream& out, std::ostream& err) {
  SpecParseResult parsed = ParseJobSpecFile(job_file);
  if (!parsed.ok()) {
    for (const SpecProblem& p : parsed.problems) err << p.ToString() << "\n";
    return kExitBadInput;
  }
  bool bad = false;
  for (const JobSpec& spec : parsed.specs) {
    for (const Status& s : {CheckRequirements(spec.resources.requirements), CheckRank(spec.resources.rank)}) {
      if (!s.ok()) {
        err << job_file << ": job " << spec.name << ": resources." << s.message() << "\n";
        bad = true;
      }
    }
  }
  if (bad) return kExitBadInput;

  Schema node_schema, job_schema;
  auto nodes = LoadNodesFile(nodes_file, node_schema);
  if (!nodes.ok()) {
    err << "skyrun match: " << nodes.status().message() << "\n";
    return kExitBadInput;
  }
  // Node policies, compiled once; a policy that does not parse rejects its node.
  std::vector<std::optional<Condition>> policies;
  std::vector<std::string> policy_errors;
  for (const NodeEntry& n : *nodes) {
    auto c = Condition::Create(PolicyText(n.ad), node_schema, job_schema);
    policy_errors.push_back(c.ok() ? "" : "node policy does not parse: " + c.status().message());
    policies.push_back(c.ok() ? std::optional<Condition>(std::move(c).value()) : std::nullopt);
  }

  EvalScratch scratch;
  nlohmann::json doc{{"jobs", nlohmann::json::array()}};
  bool any_match = false;
  for (const JobSpec& spec : parsed.specs) {
    auto matcher = Matcher::Create(spec.resources.requirements, spec.resources.rank, job_schema, node_schema);
    if (!matcher.ok()) {
      err << job_file << ": job " << spec.name << ": " << matcher.status().message() << "\n";
      return kExitBadInput;
    }
    Ad job = JobAd(spec, tenant, "", job_schema);
    std::vector<Outcome> matched, rejected;
    for (size_t k = 0; k < nodes->size(); ++k) {
      const NodeEntry& n = (*nodes)[k];
      Outcome o{n.name, {}};
      if (!policies[k]) {
        o.result.failure = MatchResult::Failure::kPolicy;
        o.result.reason = policy_errors[k];
      } else {
        const Condition* policy = policies[k]->always_true() ? nullptr : &*policies[k];
        o.result = matcher->Match(job, n.ad, policy, scratch, /*explain=*/true);
      }
      (o.result.matched ? matched : rejected).push_back(std::move(o));
    }
    // Higher rank first; nodes without a numeric rank last; file order on ties.
    std::stable_sort(matched.begin(), matched.end(), [](const Outcome& a, const Outcome& b) {
      if (a.result.rank_defined != b.result.rank_defined) return a.result.rank_defined;
      return a.result.rank > b.result.rank;
    });
    any_match |= !matched.empty();

    if (json) {
      nlohmann::json j{{"job", spec.name},
                       {"requirements", spec.resources.requirements},
                       {"rank", spec.resources.rank},
                       {"matched", nlohmann::json::array()},
                       {"rejected", nlohmann::json::array()}};
      for (const Outcome& o : matched) {
        nlohmann::json m{{"node", o.node}, {"rank", nullptr}};
        if (o.result.rank_defined) m["rank"] = o.result.rank;
        j["matched"].push_back(m);
      }
      for (const Outcome& o : rejected) {
        j["rejected"].push_back(
            {{"node", o.node},
             {"failed", o.result.failure == MatchResult::Failure::kPolicy ? "policy" : "requirements"},
             {"reason", o.result.reason}});
      }
      doc["jobs"].push_back(j);
      continue;
    }
    size_t width = 4;
    for (const NodeEntry& n : *nodes) width = std::max(width, n.name.size());
    auto pad = [&](const std::string& s, size_t w) {
      return s + std::string(w > s.size() ? w - s.size() : 0, ' ');
    };
    out << "job " << spec.name << "\n";
    out << "  requirements: "
        << (spec.resources.requirements.empty() ? "(none: every node)" : spec.resources.requirements) << "\n";
    out << "  rank:         " << (spec.resources.rank.empty() ? "(none)" : spec.resources.rank) << "\n";
    out << matched.size() << " of " << nodes->size() << " node" << (nodes->size() == 1 ? "" : "s") << " match"
        << (matched.empty() ? "" : ", best first:") << "\n";
    if (!matched.empty()) {
      out << "  " << pad("NODE", width) << "  RANK\n";
      for (const Outcome& o : matched)
        out << "  " << pad(o.node, width) << "  " << FormatRank(o.result) << "\n";
    }
    if (!rejected.empty()) {
      out << "rejected:\n";
      for (const Outcome& o : rejected) out << "  " << pad(o.node, width) << "  " << o.result.reason << "\n";
    }
  }
  if (json) out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return any_match ? 0 : kExitNoMatch;
}

}  // namespace skyrun::expr
