// Explanations: why a one-task job that fits nowhere waits, kept per request
// and brought up to date from the fleet's class journal (fleet.h), so a task
// like one that failed before is explained by looking again only at the
// node classes that changed since, not at all of them (10,000 nodes make
// about 9,000 classes once they fill up).
//
// The scheduler judges one class at a time (Verdict: skipped, fits, or the
// why-not of its nodes); an entry keeps each class's why-not group and how
// many nodes it counted, and how many classes fit and nodes were counted
// (the groups themselves are numbered once per fleet, for every entry). A
// why-not named by a key (DevicePicker::WhyNot) whose text no other why-not
// shares (DevicePicker::KeyNamesReason) is grouped by the key and its text
// written only when the group is shown; every other one is
// grouped by its text, as WhySummary does. The text reads exactly as the
// plain search's (FormatWhyGroups): the three groups with the lowest nodes,
// each with its first three nodes met in class order, and "and N more".
//
// Used by Scheduler (its explanations for the fleets it places on).
// Thread-safety: none; one owner.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/fleet.h"
#include "scheduler/plugin.h"

namespace skyrun {

// One group of a why-not text: its node count, the nodes shown (in index
// order) and its reason.
struct WhyGroupText {
  int64_t count = 0;
  std::vector<NodeIndex> shown;
  std::string reason;
};
// "n1, n2: reason; 9,980 nodes (n3, n4, n5, ...): reason; and 12 more".
std::string FormatWhyGroups(const Fleet& fleet, const std::vector<WhyGroupText>& groups, int64_t more);

class Explanations {
 public:
  // What one class says about the task.
  // kKeyedText and kShapeText name a text that other keys or shapes may
  // share: it is written once per key (per shape) and entry, on the first
  // class met with it, and grouped by the text.
  struct Verdict {
    enum class Kind { kSkip, kFits, kKey, kText, kKeyedText, kShapeText };
    Kind kind = Kind::kSkip;
    ReasonKey key;     // kKey: a key naming its text alone; kKeyedText: a key of one text
    std::string text;  // kText
    int shape = 0;     // kShapeText: the class's shape says why (its filters' reason)
  };
  // Judges class `ci` of the fleet as it is now.
  using Judge = std::function<Verdict(int ci)>;
  // The text of a key, read on a node of class `ci` that has it now.
  using KeyText = std::function<std::string(int ci)>;
  // The text of class ci's kKeyedText or kShapeText verdict; nullopt when the
  // class fits after all (a key met first on it is then not kept).
  using LazyText = std::function<std::optional<std::string>(int ci, const Verdict& v)>;

  struct Entry;
  // Whether `request` has an entry on `fleet` (made by an earlier Update).
  bool Has(const std::string& request, const Fleet& fleet) const;
  // Whether `request`'s entry on `fleet` had a class that fit when it was
  // last brought up to date (false without an entry).
  bool FitLastTime(const std::string& request, const Fleet& fleet) const;
  // The entry for `request` on `fleet`, made or brought up to date.
  Entry& Update(const std::string& request, const Fleet& fleet, const Judge& judge, const LazyText& text);
  // Whether some class may take the task (then search; else it waits).
  static bool AnyFits(const Entry& e);
  // Why the task waits; "" when no class counted a node. `e` is the entry
  // the last Update on `fleet` returned.
  std::string Text(const Entry& e, const Fleet& fleet, const KeyText& key_text) const;
  // Why-not groups numbered for `fleet` now (bounded: kMaxGroups), and the
  // entries kept for it (bounded: kMaxEntries).
  size_t GroupCount(const Fleet& fleet) const;
  size_t EntryCount(const Fleet& fleet) const;
  static constexpr size_t kMaxEntries = 1024;
  static constexpr size_t kMaxGroups = size_t{1} << 16;

  // Per class, the group it counts its nodes in: a group is a why-not key
  // or text, numbered once per fleet for every entry (so a fresh entry
  // allocates nothing per group); an entry keeps only its classes' groups
  // and node counts, and Text counts the nodes of the groups it shows.
  struct Entry {
    uint64_t journal = 0;
    bool fresh = true;
    std::vector<int32_t> group;                                // by class: kSkipped, kFitting or a group
    std::vector<int32_t> count;                                // by class: the nodes it counted
    int64_t fits = 0;                                          // classes that fit
    int64_t total = 0;                                         // nodes counted in all groups
    std::vector<std::pair<ReasonKey, int32_t>> by_keyed_text;  // kKeyedText's group (a few keys)
    std::vector<int32_t> by_shape;                             // kShapeText's group, -1 unknown
  };
  static constexpr int32_t kSkipped = -1;
  static constexpr int32_t kFitting = -2;

 private:
  // What a group says: its key's text (written when shown) or a text.
  struct Group {
    bool by_key = false;
    std::string text;  // when not by key
  };
  // One fleet object's entries and groups (a cycle uses the fleet and, for
  // reservations, an empty copy of it: two are kept).
  struct Slot {
    uint64_t fleet = 0;
    uint64_t used = 0;
    std::unordered_map<std::string, Entry> entries;
    std::vector<Group> groups;  // by group number
    // Key -> group, open addressing (a fresh entry asks once per class):
    // a power of two of cells, at most half full; group -1 is an empty cell.
    struct KeyCell {
      ReasonKey key;
      int32_t group = -1;
    };
    std::vector<KeyCell> by_key;
    size_t keys = 0;
    std::unordered_map<std::string, int32_t> by_text;
    void Clear();
    // The group of a key or a text, numbered when new.
    int32_t KeyGroup(const ReasonKey& key);
    int32_t TextGroup(std::string text);
  };
  static void Set(Slot& slot, Entry& e, int ci, const Fleet& fleet, Verdict v, const LazyText& text);
  const Slot* SlotOf(const Fleet& fleet) const;

  Slot slots_[2];
  uint64_t tick_ = 0;
  std::vector<int> changed_;     // reused
  std::vector<uint64_t> stamp_;  // by class: the update that last listed it
  uint64_t update_ = 0;
};

}  // namespace skyrun
