// "Did you mean": what to say when a person types a subcommand skyrun does not
// have (`skyrun plan`, `skyrun admin tokn list`). CLI11 alone answers "A
// subcommand is required", which names neither the word nor the commands.
//
// Who calls it: apps/skyrun/main.cc, when CLI11 refuses the command line.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace skyrun {

// The candidates a person most likely meant by `word`, closest first: those
// within a typo's edit distance (max(2, |word|/3)) and those `word` begins.
std::vector<std::string> CloseNames(std::string_view word, const std::vector<std::string>& candidates);

// Walks argv down `app`'s subcommand tree; where a command expects a
// subcommand and the next word is none of them, returns the message to
// print ("unknown command ..., did you mean ..., commands: ..."). nullopt
// when every word names a known subcommand (the parse error is then CLI11's).
std::optional<std::string> UnknownCommandMessage(const CLI::App& app, int argc, const char* const* argv);

}  // namespace skyrun
