// Plain-text tables for commands (the CLI, `skyrun offers`, `skyrun plan`):
// columns sized to their content, trailing spaces trimmed.
// Thread-safety: plain values.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace skyrun {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace skyrun
