#include "scheduler/explanations.h"

#include <algorithm>
#include <array>

#include "common/strings.h"

namespace skyrun {

namespace {

constexpr size_t kShown = 3;

std::string NumberWithCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string FormatWhyGroups(const Fleet& fleet, const std::vector<WhyGroupText>& groups, int64_t more) {
  std::vector<std::string> parts;
  for (const WhyGroupText& g : groups) {
    std::vector<std::string> shown;
    for (NodeIndex n : g.shown) shown.push_back(fleet.node(n).name);
    std::string label = Join(shown, ", ");
    if (g.count > static_cast<int64_t>(g.shown.size()))
      label = NumberWithCommas(g.count) + " nodes (" + label + ", ...)";
    parts.push_back(label + ": " + g.reason);
  }
  std::string out = Join(parts, "; ");
  if (more > 0) out += "; and " + NumberWithCommas(more) + " more";
  return out;
}

bool Explanations::Has(const std::string& request, const Fleet& fleet) const {
  const Slot* s = SlotOf(fleet);
  return s && s->entries.count(request) > 0;
}

bool Explanations::FitLastTime(const std::string& request, const Fleet& fleet) const {
  const Slot* s = SlotOf(fleet);
  if (!s) return false;
  auto it = s->entries.find(request);
  return it != s->entries.end() && it->second.fits > 0;
}

size_t Explanations::GroupCount(const Fleet& fleet) const {
  const Slot* s = SlotOf(fleet);
  return s ? s->groups.size() : 0;
}

size_t Explanations::EntryCount(const Fleet& fleet) const {
  const Slot* s = SlotOf(fleet);
  return s ? s->entries.size() : 0;
}

const Explanations::Slot* Explanations::SlotOf(const Fleet& fleet) const {
  for (const Slot& s : slots_)
    if (s.fleet == fleet.instance_id()) return &s;
  return nullptr;
}

void Explanations::Slot::Clear() {
  entries.clear();
  groups.clear();
  by_key.clear();
  keys = 0;
  by_text.clear();
}

int32_t Explanations::Slot::KeyGroup(const ReasonKey& key) {
  if (2 * (keys + 1) > by_key.size()) {
    // Grow (or make the first cells) and file every key again.
    std::vector<KeyCell> old = std::move(by_key);
    by_key.assign(std::max<size_t>(64, 2 * old.size()), KeyCell{});
    const size_t mask = by_key.size() - 1;
    for (const KeyCell& c : old) {
      if (c.group < 0) continue;
      size_t i = ReasonKeyHash()(c.key) & mask;
      while (by_key[i].group >= 0) i = (i + 1) & mask;
      by_key[i] = c;
    }
  }
  const size_t mask = by_key.size() - 1;
  size_t i = ReasonKeyHash()(key) & mask;
  while (by_key[i].group >= 0) {
    if (by_key[i].key == key) return by_key[i].group;
    i = (i + 1) & mask;
  }
  by_key[i] = {key, static_cast<int32_t>(groups.size())};
  ++keys;
  groups.push_back({true, ""});
  return by_key[i].group;
}

int32_t Explanations::Slot::TextGroup(std::string text) {
  auto [it, added] = by_text.try_emplace(std::move(text), static_cast<int32_t>(groups.size()));
  if (added) groups.push_back({false, it->first});
  return it->second;
}

Explanations::Entry& Explanations::Update(const std::string& request, const Fleet& fleet, const Judge& judge,
                                          const LazyText& text) {
  ++tick_;
  Slot* slot = nullptr;
  for (Slot& s : slots_)
    if (s.fleet == fleet.instance_id()) slot = &s;
  if (!slot) {
    slot = slots_[0].used <= slots_[1].used ? &slots_[0] : &slots_[1];
    slot->fleet = fleet.instance_id();
    slot->Clear();
  }
  slot->used = tick_;
  if ((slot->entries.size() >= kMaxEntries && !slot->entries.count(request)) ||
      slot->groups.size() >= kMaxGroups)
    slot->Clear();
  Entry& e = slot->entries[request];

  const int nclasses = static_cast<int>(fleet.classes().size());
  size_t live = 0;
  for (const Fleet::Level& level : fleet.levels()) live += level.classes.size();
  // The classes changed since, each once; once they are as many as the
  // classes with nodes, judging those afresh is no more work.
  bool all = e.fresh;
  if (!all) {
    std::optional<std::span<const int>> since = fleet.ClassJournalSince(e.journal);
    all = !since;
    if (since) {
      ++update_;
      stamp_.resize(static_cast<size_t>(nclasses), 0);
      changed_.clear();
      for (int ci : *since) {
        uint64_t& s = stamp_[static_cast<size_t>(ci)];
        if (s == update_) continue;
        s = update_;
        changed_.push_back(ci);
        if (changed_.size() >= live) {
          all = true;
          break;
        }
      }
    }
  }
  if (all) {
    // Afresh, keeping what was allocated.
    e.fresh = false;
    e.fits = 0;
    e.total = 0;
    e.by_keyed_text.clear();
    e.group.assign(static_cast<size_t>(nclasses), kSkipped);
    e.count.assign(static_cast<size_t>(nclasses), 0);
    e.by_shape.assign(static_cast<size_t>(fleet.shape_count()), -1);
  }
  e.group.resize(static_cast<size_t>(nclasses), kSkipped);
  e.count.resize(static_cast<size_t>(nclasses), 0);
  e.by_shape.resize(static_cast<size_t>(fleet.shape_count()), -1);
  if (all) {
    // A class without nodes says nothing (kSkipped, as assigned above): only
    // those with nodes are judged. The order does not matter: Text orders
    // groups by their nodes, and a key or shape names the same text on
    // every class.
    for (const Fleet::Level& level : fleet.levels())
      for (int ci : level.classes) Set(*slot, e, ci, fleet, judge(ci), text);
  } else {
    for (int ci : changed_) Set(*slot, e, ci, fleet, judge(ci), text);
  }
  e.journal = fleet.journal_end();
  return e;
}

void Explanations::Set(Slot& slot, Entry& e, int ci, const Fleet& fleet, Verdict v, const LazyText& text) {
  const size_t c = static_cast<size_t>(ci);
  // Take back what the class said before.
  int32_t old = e.group[c];
  if (old == kFitting) --e.fits;
  if (old >= 0) e.total -= e.count[c];
  e.group[c] = kSkipped;
  e.count[c] = 0;
  int32_t g = kSkipped;
  switch (v.kind) {
    case Verdict::Kind::kSkip: return;
    case Verdict::Kind::kFits:
      e.group[c] = kFitting;
      ++e.fits;
      return;
    case Verdict::Kind::kKey: g = slot.KeyGroup(v.key); break;
    case Verdict::Kind::kText: g = slot.TextGroup(std::move(v.text)); break;
    case Verdict::Kind::kKeyedText:
    case Verdict::Kind::kShapeText: {
      const bool by_shape = v.kind == Verdict::Kind::kShapeText;
      if (by_shape) {
        g = e.by_shape[static_cast<size_t>(v.shape)];
      } else {
        for (const auto& [key, known] : e.by_keyed_text)
          if (key == v.key) g = known;
      }
      if (g >= 0) break;
      std::optional<std::string> t = text(ci, v);
      if (!t) {  // it fits after all
        e.group[c] = kFitting;
        ++e.fits;
        return;
      }
      g = slot.TextGroup(std::move(*t));
      if (by_shape)
        e.by_shape[static_cast<size_t>(v.shape)] = g;
      else
        e.by_keyed_text.emplace_back(v.key, g);
      break;
    }
  }
  int32_t n = static_cast<int32_t>(fleet.classes()[c].members.size());
  e.group[c] = g;
  e.count[c] = n;
  e.total += n;
}

bool Explanations::AnyFits(const Entry& e) {
  return e.fits > 0;
}

std::string Explanations::Text(const Entry& e, const Fleet& fleet, const KeyText& key_text) const {
  if (e.total == 0) return "";
  const Slot* slot = SlotOf(fleet);
  if (!slot) return "";
  // Groups never share a node, so the groups with the lowest nodes are the
  // first met walking the nodes by index.
  std::array<int32_t, kShown> shown{};
  size_t nshown = 0;
  for (NodeIndex n = 0; n < fleet.size() && nshown < kShown; ++n) {
    int c = fleet.ClassOf(n);
    if (c < 0 || static_cast<size_t>(c) >= e.group.size()) continue;
    int32_t g = e.group[static_cast<size_t>(c)];
    if (g < 0 || std::find(shown.begin(), shown.begin() + static_cast<ptrdiff_t>(nshown), g) !=
                     shown.begin() + static_cast<ptrdiff_t>(nshown))
      continue;
    shown[nshown++] = g;
  }
  // Each shown group's nodes: a class that counted any has nodes now (a
  // class that lost its last was judged again), so only those are summed.
  std::vector<WhyGroupText> out(nshown);
  for (const Fleet::Level& level : fleet.levels()) {
    for (int ci : level.classes) {
      const int32_t g = e.group[static_cast<size_t>(ci)];
      if (g < 0) continue;
      for (size_t k = 0; k < nshown; ++k)
        if (g == shown[k]) out[k].count += e.count[static_cast<size_t>(ci)];
    }
  }
  // Its first nodes met in class order, and a class of it.
  std::array<int, kShown> a_class{};
  a_class.fill(-1);
  size_t full = 0;
  for (size_t ci = 0; ci < e.group.size() && full < nshown; ++ci) {
    for (size_t k = 0; k < nshown; ++k) {
      if (e.group[ci] != shown[k]) continue;
      if (a_class[k] < 0) a_class[k] = static_cast<int>(ci);
      std::vector<NodeIndex>& names = out[k].shown;
      const auto& members = fleet.classes()[ci].members;
      if (names.size() < kShown) {
        for (auto it = members.begin(); it != members.end() && names.size() < kShown; ++it)
          names.push_back(it->second);
        if (names.size() == kShown) ++full;
      }
      break;
    }
  }
  int64_t more = e.total;
  for (size_t k = 0; k < nshown; ++k) {
    const Group& g = slot->groups[static_cast<size_t>(shown[k])];
    std::sort(out[k].shown.begin(), out[k].shown.end());
    out[k].reason = g.by_key ? key_text(a_class[k]) : g.text;
    more -= out[k].count;
  }
  return FormatWhyGroups(fleet, out, more);
}

}  // namespace skyrun
