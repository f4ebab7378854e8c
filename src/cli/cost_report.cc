// `skyrun cost-report`: what was spent over a period, by job, tenant,
// provider or queue (the API's GET /v1/cost-report), as a table or JSON.
#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/text_table.h"

namespace skyrun {

namespace {

struct CostFlags {
  ClientFlags common;
  std::string by = "job";
  std::string since;
  std::string from;
  std::string to;
  std::string tenant;
};

// Query values: unreserved characters as they are, the rest %XX.
std::string QueryValue(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int CostReportCmd(const CostFlags& f) {
  std::string query = "?by=" + QueryValue(f.by);
  if (!f.since.empty()) query += "&since=" + QueryValue(f.since);
  if (!f.from.empty()) query += "&from=" + QueryValue(f.from);
  if (!f.to.empty()) query += "&to=" + QueryValue(f.to);
  if (!f.tenant.empty()) query += "&tenant=" + QueryValue(f.tenant);
  auto client = ApiClient::Create(f.common.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Get("/v1/cost-report" + query);
  if (!got.ok()) return FailWith(got.status(), client->get());
  if (f.common.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  std::cout << "Costs from " << FieldText(*got, "from") << " to " << FieldText(*got, "to") << ", by "
            << FieldText(*got, "by") << "\n";
  Table t({f.by == "job"      ? "JOB"
           : f.by == "tenant" ? "TENANT"
           : f.by == "queue"  ? "QUEUE"
                              : "PROVIDER",
           "ATTEMPTS", "TASK-HOURS", "COMPUTE", "EGRESS", "TOTAL"});
  for (const auto& l : (*got)["lines"]) {
    std::string key = f.by == "job" ? FieldText(l, "key") + " " + FieldText(l, "label") : FieldText(l, "key");
    char hours[32];
    std::snprintf(hours, sizeof hours, "%.2f", l.value("task_hours", 0.0));
    std::string egress = Money(l.value("egress_usd", 0.0));
    if (l.value("egress_gb", 0.0) > 0) {
      char gb[32];
      std::snprintf(gb, sizeof gb, " (%.1f GB)", l.value("egress_gb", 0.0));
      egress += gb;
    }
    t.AddRow({key, FieldText(l, "attempts"), hours, Money(l.value("compute_usd", 0.0)), egress,
              Money(l.value("total_usd", 0.0))});
  }
  t.AddRow({"total", "", "", Money(got->value("compute_usd", 0.0)), Money(got->value("egress_usd", 0.0)),
            Money(got->value("total_usd", 0.0))});
  t.Print(std::cout);
  return 0;
}

}  // namespace

void RegisterCostReportCommand(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("cost-report", "what was spent over a period, by job, tenant, provider or queue");
  auto f = std::make_shared<CostFlags>();
  cmd->add_option("--by", f->by, "group by job, tenant, provider or queue (default job)")
      ->check(CLI::IsMember({"job", "tenant", "provider", "queue"}));
  cmd->add_option("--since", f->since, "the period ends now and lasts this long (7d, 12h; default 30d)");
  cmd->add_option("--from", f->from, "the period starts here (2026-12-01 or RFC 3339)")->excludes("--since");
  cmd->add_option("--to", f->to, "the period ends here (default now)");
  cmd->add_option("--tenant", f->tenant, "one tenant's costs (platform admins; others see only their own)");
  AddClientFlags(cmd, &f->common);
  cmd->callback([=] { *exit_code = CostReportCmd(*f); });
}

}  // namespace skyrun
