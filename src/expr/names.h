// "Did you mean" for function and attribute names: the candidate closest to
// a word (ignoring case), when it is close enough to be a typo. Candidates
// whose length alone rules them out are skipped, so a long or alien word
// costs next to nothing (this runs on every unknown name the parser and the
// type checker see). Thread-safety: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skyrun::expr {

// Returns the candidate as spelled in `candidates`.
std::optional<std::string> SuggestName(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace skyrun::expr
