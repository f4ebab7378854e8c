// sbatch job arrays (issue 15): `#SBATCH --array=0-15:4%2` read into
// JobArray (model/job_spec.h), and the text the server stores for each
// element of an array.
//
// An array becomes one skyrun job per index: the API server's Submit parses
// the script once, then stores, for each index, the script with one last line
// that only the server writes ("#SKYRUN-ARRAY-ELEMENT task=3 array_job=17"),
// so that the stored text re-reads (spec/sbatch_script.cc) into the same
// spec plus that job's own index. A submitted text that already carries such
// a line is refused by the server (a tenant cannot claim another's array).
//
// Called by spec/sbatch_script.cc and server/server.cc. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/job_spec.h"

namespace skyrun {

// Slurm's default MaxArraySize is 1001: indices 0..1000.
inline constexpr int kMaxArrayIndex = 1000;
inline constexpr std::string_view kArrayElementMarker = "#SKYRUN-ARRAY-ELEMENT ";

// "0-15", "1,3,5", "0-15:4", "1-5,7,10-20:2%3" into *array (indices, step,
// limit). Returns what is wrong (worded for the user), or nullopt.
std::optional<std::string> ParseArraySpec(const std::string& text, JobArray* array);

// The text stored for element `task_id` of the array whose first element is
// job `array_job_id` (0: this element is the first).
std::string ArrayElementText(std::string_view script, int task_id, int64_t array_job_id);

// The script without its element line, and the element's index and array
// job id read from it. No element line: the text unchanged, task_id -1.
// A malformed element line: an error.
struct ArrayElement {
  std::string script;
  int task_id = -1;
  int64_t array_job_id = 0;
  int line = 0;  // where the element line was (1-based), 0 = none
};
std::optional<std::string> SplitArrayElement(std::string_view text, ArrayElement* out);

// Makes `array` (read from the same text) element `e`'s: its index and array
// job id. Returns what is wrong when the index is not one of the array's.
std::optional<std::string> ApplyArrayElement(const ArrayElement& e, JobArray* array);

// How `skyrun status` names element `task_id` of array `name`: "name_[3]", as squeue shows it.
std::string ArrayElementName(const std::string& name, int task_id);

}  // namespace skyrun
