// `skyrun budgets`: each budget (per tenant, per queue) with its window, what
// it has spent and what is left (the API's GET /v1/budgets), as a table or JSON.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/text_table.h"

namespace skyrun {

namespace {

int BudgetsCmd(const ClientFlags& f) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Get("/v1/budgets");
  if (!got.ok()) return FailWith(got.status(), client->get());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  if ((*got)["budgets"].empty()) {
    std::cout << "No budgets apply (server config `budgets:`).\n";
    return 0;
  }
  Table t({"BUDGET", "PERIOD", "FROM", "RESETS", "LIMIT", "SPENT", "LEFT"});
  for (const auto& b : (*got)["budgets"]) {
    const std::string resets = b["resets"].is_string() ? FieldText(b, "resets") : "rolling";
    t.AddRow({FieldText(b, "scope") + " " + FieldText(b, "name"), FieldText(b, "period"),
              FieldText(b, "from"), resets, Money(b.value("usd", 0.0)), Money(b.value("spent_usd", 0.0)),
              Money(b.value("left_usd", 0.0))});
  }
  t.Print(std::cout);
  std::cout << "A job whose estimate exceeds what is left is refused at submission (on_exceed: "
            << FieldText(*got, "on_exceed") << ").\n";
  return 0;
}

}  // namespace

void RegisterBudgetsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("budgets", "budgets per tenant and queue: what each has spent and has left");
  auto f = std::make_shared<ClientFlags>();
  AddClientFlags(cmd, f.get());
  cmd->callback([=] { *exit_code = BudgetsCmd(*f); });
}

}  // namespace skyrun
