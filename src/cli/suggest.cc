#include "cli/suggest.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "common/strings.h"

namespace skyrun {

std::vector<std::string> CloseNames(std::string_view word, const std::vector<std::string>& candidates) {
  // Same threshold as NearestName (spec "did you mean"): a typo changes a few
  // characters; beyond a third of the word it is another word.
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& c : candidates) {
    size_t d = EditDistance(ToLower(word), ToLower(c));
    bool prefix = word.size() >= 2 && c.size() > word.size() && c.compare(0, word.size(), word) == 0;
    if (d <= limit || prefix) scored.emplace_back(prefix ? 0 : d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [d, c] : scored) out.push_back(std::move(c));
  return out;
}

namespace {

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// The full command path of `app`, e.g. "skyrun admin token".
std::string CommandPath(const CLI::App& app) {
  std::vector<std::string> parts;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    parts.insert(parts.begin(), a->get_parent() ? a->get_name() : std::string("skyrun"));
  }
  return Join(parts, " ");
}

}  // namespace

std::optional<std::string> UnknownCommandMessage(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (!arg.empty() && arg[0] == '-') {
      // An option of the current command; skip its value when it takes one
      // and it is not given as --name=value.
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* option = current->get_option_no_throw(arg);
      if (option != nullptr && option->get_expected_min() > 0) ++i;
      continue;
    }
    std::vector<std::string> names = SubcommandNames(*current);
    if (names.empty()) return std::nullopt;  // a leaf command's positional arguments
    auto named = current->get_subcommands([&arg](const CLI::App* sub) { return sub->get_name() == arg; });
    if (!named.empty()) {
      current = named.front();
      continue;
    }
    std::string path = CommandPath(*current);
    std::string message = "unknown command \"" + arg + "\" for \"" + path + "\"";
    std::vector<std::string> close = CloseNames(arg, names);
    if (!close.empty()) message += "\n\nDid you mean " + Join(close, " or ") + "?";
    std::sort(names.begin(), names.end());
    message += "\n\nCommands of \"" + path + "\": " + Join(names, ", ") + "\nRun '" + path +
               " --help' for what each does.";
    return message;
  }
  return std::nullopt;
}

}  // namespace skyrun
