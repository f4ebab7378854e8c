#include "expr/regex.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace skyrun::expr {
namespace {

constexpr int kMaxNfaStates = 2000;
// Bound the work of building a DFA (states, and states x byte classes) so
// that a pathological pattern falls back to NFA simulation instead of
// stalling compilation. Real requirement patterns ("A100|H100") need tens of
// cells.
constexpr int kMaxDfaStates = 512;
constexpr int kMaxDfaCells = 1 << 14;
// ... and the total NFA states visited while building it (large patterns have
// large closures; "A100|H100" needs about a thousand).
constexpr uint64_t kMaxDfaWork = uint64_t{1} << 16;
constexpr int kMaxGroupDepth = 100;
constexpr int kMaxRepeat = 1000;

constexpr uint8_t kAccepting = 1;
constexpr uint8_t kAcceptAtEnd = 2;
constexpr uint8_t kDead = 4;

using ByteSet = std::bitset<256>;

// Pattern syntax tree.
struct RNode {
  enum Kind { kEmpty, kSet, kConcat, kAlt, kRepeat, kBol, kEol } kind = kEmpty;
  ByteSet set;
  std::vector<int> kids;
  int min = 0;
  int max = 0;  // -1: unbounded
};

Status PatternError(const std::string& what, size_t offset) {
  return InvalidArgument(what + " at offset " + std::to_string(offset) + " of the pattern");
}

ByteSet ClassSet(char c) {
  ByteSet s;
  for (int b = 0; b < 256; ++b) {
    bool in = false;
    switch (c) {
      case 'd': in = b >= '0' && b <= '9'; break;
      case 'w': in = std::isalnum(b) || b == '_'; break;
      case 's': in = b == ' ' || (b >= '\t' && b <= '\r'); break;
      default: break;
    }
    s[b] = in;
  }
  return s;
}

class PatternParser {
 public:
  PatternParser(std::string_view p, const RegexOptions& o, std::vector<RNode>* nodes)
      : p_(p), opt_(o), nodes_(nodes) {}

  Result<int> ParseAll() {
    auto root = ParseAlt(0);
    if (!root.ok()) return root;
    if (pos_ < p_.size()) return PatternError("unmatched ')'", pos_);
    return root;
  }

 private:
  int Add(RNode n) {
    nodes_->push_back(std::move(n));
    return static_cast<int>(nodes_->size()) - 1;
  }
  int AddSet(ByteSet s) {
    RNode n;
    n.kind = RNode::kSet;
    if (opt_.ignore_case) s = FoldCase(s);
    n.set = s;
    return Add(std::move(n));
  }
  static ByteSet FoldCase(ByteSet s) {
    for (int b = 'a'; b <= 'z'; ++b) {
      if (s[b] || s[b - 32]) s[b] = s[b - 32] = true;
    }
    return s;
  }

  Result<int> ParseAlt(int depth) {
    if (depth > kMaxGroupDepth) return PatternError("groups nested too deeply", pos_);
    std::vector<int> alts;
    while (true) {
      auto c = ParseConcat(depth);
      if (!c.ok()) return c;
      alts.push_back(*c);
      if (pos_ < p_.size() && p_[pos_] == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    if (alts.size() == 1) return alts[0];
    RNode n;
    n.kind = RNode::kAlt;
    n.kids = std::move(alts);
    return Add(std::move(n));
  }

  Result<int> ParseConcat(int depth) {
    RNode n;
    n.kind = RNode::kConcat;
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      auto r = ParseRepeat(depth);
      if (!r.ok()) return r;
      n.kids.push_back(*r);
    }
    if (n.kids.empty()) return Add(RNode{});
    if (n.kids.size() == 1) return n.kids[0];
    return Add(std::move(n));
  }

  // {n}, {n,}, {n,m} at pos_; returns false (and leaves pos_) when the text is
  // not a repetition, in which case '{' is a literal as in PCRE.
  bool ParseBraces(int* min, int* max, bool* bad) {
    size_t p = pos_ + 1;
    auto number = [&](int* out) {
      size_t start = p;
      long v = 0;
      while (p < p_.size() && std::isdigit(static_cast<unsigned char>(p_[p]))) {
        v = std::min<long>(v * 10 + (p_[p] - '0'), 1000000);
        ++p;
      }
      *out = static_cast<int>(v);
      return p > start;
    };
    if (!number(min)) return false;
    if (p < p_.size() && p_[p] == '}') {
      *max = *min;
    } else if (p < p_.size() && p_[p] == ',') {
      ++p;
      if (!number(max)) *max = -1;
      if (p >= p_.size() || p_[p] != '}') return false;
    } else {
      return false;
    }
    pos_ = p + 1;
    *bad = *min > kMaxRepeat || *max > kMaxRepeat || (*max >= 0 && *max < *min);
    return true;
  }

  Result<int> ParseRepeat(int depth) {
    size_t atom_pos = pos_;
    auto atom = ParseAtom(depth);
    if (!atom.ok()) return atom;
    if (pos_ >= p_.size()) return atom;
    int min = 0, max = 0;
    char c = p_[pos_];
    size_t q_pos = pos_;
    if (c == '*') {
      min = 0, max = -1, ++pos_;
    } else if (c == '+') {
      min = 1, max = -1, ++pos_;
    } else if (c == '?') {
      min = 0, max = 1, ++pos_;
    } else if (c == '{') {
      bool bad = false;
      if (!ParseBraces(&min, &max, &bad)) return atom;
      if (bad) {
        return PatternError("repetition {" + std::to_string(min) + "," + std::to_string(max) +
                                "} must have min <= max <= " + std::to_string(kMaxRepeat),
                            q_pos);
      }
    } else {
      return atom;
    }
    const RNode& a = (*nodes_)[*atom];
    if (a.kind == RNode::kBol || a.kind == RNode::kEol) {
      return PatternError("nothing to repeat before '" + std::string(1, c) + "'", q_pos);
    }
    (void)atom_pos;
    if (pos_ < p_.size() && p_[pos_] == '?') {
      ++pos_;  // lazy: same answer to "does it match"
    } else if (pos_ < p_.size() && p_[pos_] == '+') {
      return PatternError("possessive quantifiers are not supported", pos_);
    }
    if (pos_ < p_.size() && (p_[pos_] == '*' || p_[pos_] == '+' || p_[pos_] == '?')) {
      return PatternError("nothing to repeat before '" + std::string(1, p_[pos_]) + "'", pos_);
    }
    RNode n;
    n.kind = RNode::kRepeat;
    n.kids = {*atom};
    n.min = min;
    n.max = max;
    return Add(std::move(n));
  }

  // One escape after a backslash (pos_ at the character after '\').
  // Sets *set; returns an error for unsupported escapes.
  Status ParseEscape(ByteSet* set, bool in_class) {
    if (pos_ >= p_.size()) return PatternError("pattern ends with a lone '\\'", pos_ - 1);
    char c = p_[pos_++];
    set->reset();
    switch (c) {
      case 'd': case 'w': case 's': *set = ClassSet(c); return Status::Ok();
      case 'D': case 'W': case 'S': *set = ~ClassSet(static_cast<char>(c + 32)); return Status::Ok();
      case 'n': set->set('\n'); return Status::Ok();
      case 't': set->set('\t'); return Status::Ok();
      case 'r': set->set('\r'); return Status::Ok();
      case 'f': set->set('\f'); return Status::Ok();
      case 'v': set->set('\v'); return Status::Ok();
      case 'x': {
        int v = 0;
        for (int k = 0; k < 2; ++k) {
          if (pos_ >= p_.size() || !std::isxdigit(static_cast<unsigned char>(p_[pos_]))) {
            return PatternError("\\x needs two hex digits", pos_);
          }
          char h = p_[pos_++];
          v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
        }
        set->set(v);
        return Status::Ok();
      }
      default:
        if (std::isalnum(static_cast<unsigned char>(c))) {
          return PatternError(std::string("\\") + c + " is not supported" +
                                  (in_class ? " inside [...]" : "") +
                                  " (back-references, \\b and look-around are not available)",
                              pos_ - 2);
        }
        set->set(static_cast<unsigned char>(c));
        return Status::Ok();
    }
  }

  Result<int> ParseClass() {
    size_t open = pos_ - 1;
    bool negate = false;
    if (pos_ < p_.size() && p_[pos_] == '^') {
      negate = true;
      ++pos_;
    }
    ByteSet set;
    bool first = true;
    while (true) {
      if (pos_ >= p_.size()) return PatternError("missing ']' for the '[' ", open);
      char c = p_[pos_];
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (c == '[' && pos_ + 1 < p_.size() && p_[pos_ + 1] == ':') {
        size_t end = p_.find(":]", pos_ + 2);
        if (end == std::string_view::npos) return PatternError("missing ':]'", pos_);
        std::string_view name = p_.substr(pos_ + 2, end - pos_ - 2);
        int (*pred)(int) = nullptr;
        if (name == "alpha") pred = [](int b) { return std::isalpha(b); };
        else if (name == "digit") pred = [](int b) { return std::isdigit(b); };
        else if (name == "alnum") pred = [](int b) { return std::isalnum(b); };
        else if (name == "space") pred = [](int b) { return std::isspace(b); };
        else if (name == "upper") pred = [](int b) { return std::isupper(b); };
        else if (name == "lower") pred = [](int b) { return std::islower(b); };
        else if (name == "punct") pred = [](int b) { return std::ispunct(b); };
        else if (name == "xdigit") pred = [](int b) { return std::isxdigit(b); };
        else if (name == "word") pred = [](int b) { return static_cast<int>(std::isalnum(b) || b == '_'); };
        else return PatternError("unknown class [:" + std::string(name) + ":]", pos_);
        for (int b = 0; b < 128; ++b) {
          if (pred(b)) set.set(b);
        }
        pos_ = end + 2;
        continue;
      }
      // A single character (possibly escaped) or the start of a range.
      ByteSet item;
      int lo = -1;
      ++pos_;
      if (c == '\\') {
        Status s = ParseEscape(&item, true);
        if (!s.ok()) return s;
        if (item.count() == 1) {
          for (int b = 0; b < 256; ++b) {
            if (item[b]) lo = b;
          }
        }
      } else {
        lo = static_cast<unsigned char>(c);
        item.set(lo);
      }
      if (lo >= 0 && pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        size_t range_pos = pos_;
        ++pos_;
        int hi;
        char h = p_[pos_++];
        if (h == '\\') {
          ByteSet hs;
          Status s = ParseEscape(&hs, true);
          if (!s.ok()) return s;
          if (hs.count() != 1) return PatternError("a range cannot end in a class", range_pos);
          hi = 0;
          for (int b = 0; b < 256; ++b) {
            if (hs[b]) hi = b;
          }
        } else {
          hi = static_cast<unsigned char>(h);
        }
        if (hi < lo) return PatternError("range out of order in [...]", range_pos);
        for (int b = lo; b <= hi; ++b) item.set(b);
      }
      set |= item;
    }
    if (opt_.ignore_case) set = FoldCase(set);
    if (negate) set = ~set;
    RNode n;
    n.kind = RNode::kSet;
    n.set = set;
    return Add(std::move(n));
  }

  Result<int> ParseAtom(int depth) {
    char c = p_[pos_];
    size_t at = pos_;
    ++pos_;
    switch (c) {
      case '(': {
        if (pos_ < p_.size() && p_[pos_] == '?') {
          if (pos_ + 1 < p_.size() && p_[pos_ + 1] == ':') {
            pos_ += 2;
          } else {
            return PatternError("(? groups other than (?: are not supported", at);
          }
        }
        auto inner = ParseAlt(depth + 1);
        if (!inner.ok()) return inner;
        if (pos_ >= p_.size() || p_[pos_] != ')') return PatternError("missing ')' for the '('", at);
        ++pos_;
        return inner;
      }
      case '[': return ParseClass();
      case '.': {
        ByteSet s;
        s.set();
        if (!opt_.dot_all) s.reset('\n');
        RNode n;
        n.kind = RNode::kSet;
        n.set = s;
        return Add(std::move(n));
      }
      case '^': {
        RNode n;
        n.kind = RNode::kBol;
        return Add(std::move(n));
      }
      case '$': {
        RNode n;
        n.kind = RNode::kEol;
        return Add(std::move(n));
      }
      case '*': case '+': case '?':
        return PatternError(std::string("nothing to repeat before '") + c + "'", at);
      case '\\': {
        ByteSet s;
        Status st = ParseEscape(&s, false);
        if (!st.ok()) return st;
        return AddSet(s);
      }
      default: {
        ByteSet s;
        s.set(static_cast<unsigned char>(c));
        return AddSet(s);
      }
    }
  }

  std::string_view p_;
  RegexOptions opt_;
  std::vector<RNode>* nodes_;
  size_t pos_ = 0;
};

}  // namespace

// Hash of a DFA state: its set of NFA states and whether it is at a line start.
struct StateHash {
  size_t operator()(const std::pair<std::vector<int>, bool>& key) const {
    uint64_t h = key.second ? 0x9e3779b97f4a7c15ull : 0;
    for (int s : key.first) h = (h ^ static_cast<uint64_t>(s)) * 0x100000001b3ull;
    return static_cast<size_t>(h);
  }
};

// Builds the NFA (continuation style: each node is compiled in front of the
// state that follows it) and then the DFA.
class RegexBuilder {
 public:
  explicit RegexBuilder(Regex* re) : re_(re) {}

  Result<int> Build(const std::vector<RNode>& nodes, int id, int next) {
    if (static_cast<int>(re_->nfa_.size()) > kMaxNfaStates) {
      return InvalidArgument("the pattern is too large (more than " + std::to_string(kMaxNfaStates) +
                             " states once repetitions are expanded)");
    }
    const RNode& n = nodes[id];
    switch (n.kind) {
      case RNode::kEmpty: return next;
      case RNode::kSet: {
        re_->sets_.push_back(n.set);
        return Add({Regex::NfaState::kByte, next, -1, static_cast<int>(re_->sets_.size()) - 1});
      }
      case RNode::kBol: return Add({Regex::NfaState::kBol, next, -1, -1});
      case RNode::kEol: return Add({Regex::NfaState::kEol, next, -1, -1});
      case RNode::kConcat: {
        for (size_t k = n.kids.size(); k-- > 0;) {
          auto r = Build(nodes, n.kids[k], next);
          if (!r.ok()) return r;
          next = *r;
        }
        return next;
      }
      case RNode::kAlt: {
        auto last = Build(nodes, n.kids.back(), next);
        if (!last.ok()) return last;
        int entry = *last;
        for (size_t k = n.kids.size() - 1; k-- > 0;) {
          auto r = Build(nodes, n.kids[k], next);
          if (!r.ok()) return r;
          entry = Add({Regex::NfaState::kSplit, *r, entry, -1});
        }
        return entry;
      }
      case RNode::kRepeat: {
        int tail = next;
        if (n.max < 0) {
          int loop = Add({Regex::NfaState::kSplit, -1, next, -1});
          auto body = Build(nodes, n.kids[0], loop);
          if (!body.ok()) return body;
          re_->nfa_[loop].out = *body;
          tail = loop;
        } else {
          for (int k = n.min; k < n.max; ++k) {
            auto body = Build(nodes, n.kids[0], tail);
            if (!body.ok()) return body;
            tail = Add({Regex::NfaState::kSplit, *body, tail, -1});
          }
        }
        for (int k = 0; k < n.min; ++k) {
          auto body = Build(nodes, n.kids[0], tail);
          if (!body.ok()) return body;
          tail = *body;
        }
        return tail;
      }
    }
    return next;
  }

  int Add(Regex::NfaState s) {
    re_->nfa_.push_back(s);
    return static_cast<int>(re_->nfa_.size()) - 1;
  }

  void BuildDfa() {
    ComputeByteClasses();
    std::unordered_map<std::pair<std::vector<int>, bool>, int, StateHash> ids;
    std::vector<std::pair<std::vector<int>, bool>> states;
    std::pair<std::vector<int>, bool> probe;  // lookup key, reused to avoid allocating
    auto intern = [&](const std::vector<int>& set, bool bol) -> int {
      probe.first.assign(set.begin(), set.end());
      probe.second = bol;
      auto it = ids.find(probe);
      if (it != ids.end()) return it->second;
      int id = static_cast<int>(states.size());
      ids.emplace(probe, id);
      states.push_back(probe);
      return id;
    };
    intern(Closure({re_->start_}, true, false), true);
    // Most steps of an unanchored search consume nothing of the pattern and
    // only restart it: their target is the start closure, computed once.
    int restart[2] = {-1, -1};
    const std::vector<int> restart_set[2] = {Closure({re_->start_}, false, false), Closure({re_->start_}, true, false)};

    std::vector<uint16_t> table;
    std::vector<uint8_t> flags;
    std::vector<int> expanded, moved, next;
    for (size_t s = 0; s < states.size(); ++s) {
      if (states.size() > static_cast<size_t>(kMaxDfaStates) ||
          states.size() * static_cast<size_t>(re_->classes_) > static_cast<size_t>(kMaxDfaCells) ||
          work_ > kMaxDfaWork) {
        re_->transitions_.clear();
        re_->flags_.clear();
        return;  // too many states: Search() simulates the NFA instead
      }
      const std::vector<int> set = states[s].first;  // a copy: states may grow below
      const bool bol = states[s].second;
      flags.push_back(Flags(set, bol));
      const bool has_eol = Contains(set, Regex::NfaState::kEol);
      if (re_->options_.multiline && has_eol) expanded = Closure(set, bol, true);
      table.resize((s + 1) * re_->classes_);
      for (int cls = 0; cls < re_->classes_; ++cls) {
        const uint8_t byte = representative_[cls];
        const bool newline = byte == '\n';
        // A newline in multi-line mode first satisfies the pending $.
        const std::vector<int>& cur = (re_->options_.multiline && newline && has_eol) ? expanded : set;
        Moved(cur, byte, &moved);
        const bool next_bol = re_->options_.multiline && newline;
        int target;
        if (moved.empty()) {
          int& r = restart[next_bol ? 1 : 0];
          if (r < 0) r = intern(restart_set[next_bol ? 1 : 0], next_bol);
          target = r;
        } else {
          moved.push_back(re_->start_);
          ClosureInto(moved, next_bol, false, &next);
          target = intern(next, next_bol);
        }
        table[s * re_->classes_ + cls] = static_cast<uint16_t>(target);
      }
    }
    re_->transitions_ = std::move(table);
    re_->flags_ = std::move(flags);
  }

  // The states reachable from `seeds` without consuming a byte. BOL
  // assertions pass when `bol`; EOL assertions pass when `eol`, and otherwise
  // stay in the set (they are decided when the next byte is known).
  std::vector<int> Closure(const std::vector<int>& seeds, bool bol, bool eol) const {
    std::vector<int> out;
    ClosureInto(seeds, bol, eol, &out);
    return out;
  }

  void ClosureInto(const std::vector<int>& seeds, bool bol, bool eol, std::vector<int>* out) const {
    out->clear();
    if (seen_.size() != re_->nfa_.size()) seen_.assign(re_->nfa_.size(), 0);
    if (++generation_ == 0) {  // wrapped: start the marks afresh
      std::fill(seen_.begin(), seen_.end(), 0);
      generation_ = 1;
    }
    std::vector<int>& stack = stack_;
    stack.assign(seeds.rbegin(), seeds.rend());
    while (!stack.empty()) {
      int s = stack.back();
      stack.pop_back();
      if (s < 0 || seen_[s] == generation_) continue;
      seen_[s] = generation_;
      ++work_;
      const Regex::NfaState& st = re_->nfa_[s];
      switch (st.kind) {
        case Regex::NfaState::kSplit:
          stack.push_back(st.out1);
          stack.push_back(st.out);
          break;
        case Regex::NfaState::kBol:
          if (bol) stack.push_back(st.out);
          break;
        case Regex::NfaState::kEol:
          if (eol) {
            stack.push_back(st.out);
          } else {
            out->push_back(s);
          }
          break;
        case Regex::NfaState::kByte:
        case Regex::NfaState::kMatch:
          out->push_back(s);
          break;
      }
    }
    std::sort(out->begin(), out->end());
  }

  bool Contains(const std::vector<int>& set, Regex::NfaState::Kind kind) const {
    for (int s : set) {
      if (re_->nfa_[s].kind == kind) return true;
    }
    return false;
  }

  uint8_t Flags(const std::vector<int>& set, bool bol) const {
    uint8_t f = 0;
    if (Contains(set, Regex::NfaState::kMatch)) f |= kAccepting | kAcceptAtEnd;
    // At the end of the text every pending $ holds.
    if (!(f & kAcceptAtEnd) && Contains(set, Regex::NfaState::kEol) &&
        Contains(Closure(set, bol, true), Regex::NfaState::kMatch)) {
      f |= kAcceptAtEnd;
    }
    // Empty and unable to restart: only a multi-line ^ could revive it.
    if (set.empty() && !re_->options_.multiline) f |= kDead;
    return f;
  }

  // The states `byte` leads to from `cur` (the restart is added by the caller).
  void Moved(const std::vector<int>& cur, uint8_t byte, std::vector<int>* moved) const {
    moved->clear();
    for (int s : cur) {
      const Regex::NfaState& st = re_->nfa_[s];
      if (st.kind == Regex::NfaState::kByte && re_->sets_[st.set][byte]) moved->push_back(st.out);
      // A match completed before this byte (by a $ that the newline
      // satisfied) stays a match.
      if (st.kind == Regex::NfaState::kMatch) moved->push_back(s);
    }
  }

  // One step of the search, for NFA simulation: the set after `byte`.
  std::vector<int> Step(const std::vector<int>& set, bool bol, uint8_t byte, bool* next_bol) const {
    const bool newline = byte == '\n';
    std::vector<int> moved;
    if (re_->options_.multiline && newline && Contains(set, Regex::NfaState::kEol)) {
      Moved(Closure(set, bol, true), byte, &moved);
    } else {
      Moved(set, byte, &moved);
    }
    *next_bol = re_->options_.multiline && newline;
    moved.push_back(re_->start_);  // unanchored search: a match may start at any byte
    return Closure(moved, *next_bol, false);
  }

  bool StepFlagsAccepting(const std::vector<int>& set) const { return Contains(set, Regex::NfaState::kMatch); }

 private:
  void ComputeByteClasses() {
    // Two bytes share a class when every byte set (and the newline test)
    // treats them alike. Refining by a set or by its complement gives the same
    // partition, so each refinement walks only the smaller of the two.
    std::vector<int> cls(256, 0);
    std::vector<int> size(1, 256);  // members per class
    std::vector<int> hits, split;
    std::vector<int> members;
    auto refine = [&](const ByteSet& set) {
      const ByteSet side = set.count() <= 128 ? set : ~set;
      members.clear();
      for (size_t b = side._Find_first(); b < side.size(); b = side._Find_next(b)) {
        members.push_back(static_cast<int>(b));
      }
      hits.assign(size.size(), 0);
      for (int b : members) ++hits[cls[b]];
      split.assign(size.size(), -1);
      for (int b : members) {
        int k = cls[b];
        if (hits[k] == size[k]) continue;  // the whole class is on one side: no split
        if (split[k] < 0) {
          split[k] = static_cast<int>(size.size());
          size.push_back(0);
        }
        --size[k];
        ++size[split[k]];
        cls[b] = split[k];
      }
    };
    ByteSet newline;
    newline.set('\n');
    refine(newline);
    std::unordered_set<ByteSet> seen;
    for (const ByteSet& s : re_->sets_) {
      if (seen.insert(s).second) refine(s);
    }
    const int count = static_cast<int>(size.size());
    re_->classes_ = count;
    representative_.assign(count, 0);
    std::vector<bool> have(count, false);
    for (int b = 0; b < 256; ++b) {
      re_->byte_class_[b] = static_cast<uint8_t>(cls[b]);
      if (!have[cls[b]]) {
        have[cls[b]] = true;
        representative_[cls[b]] = static_cast<uint8_t>(b);
      }
    }
  }

  Regex* re_;
  std::vector<uint8_t> representative_;
  // Scratch for Closure(): visit marks by generation, and the work stack.
  mutable std::vector<uint32_t> seen_;
  mutable uint32_t generation_ = 0;
  mutable std::vector<int> stack_;
  mutable uint64_t work_ = 0;  // states visited by ClosureInto, to bound BuildDfa
};

Result<RegexOptions> ParseRegexOptions(std::string_view letters) {
  RegexOptions o;
  for (char c : letters) {
    switch (c) {
      case 'i': case 'I': o.ignore_case = true; break;
      case 'm': case 'M': o.multiline = true; break;
      case 's': case 'S': o.dot_all = true; break;
      default:
        return InvalidArgument(std::string("unknown regexp option '") + c +
                               "': the options are i (ignore case), m (multi-line), s (. matches newline)");
    }
  }
  return o;
}

Status Regex::Validate(std::string_view pattern, RegexOptions options) {
  Regex re;
  std::vector<RNode> nodes;
  PatternParser parser(pattern, options, &nodes);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  RegexBuilder builder(&re);
  int match = builder.Add({NfaState::kMatch, -1, -1, -1});
  auto start = builder.Build(nodes, *root, match);
  return start.ok() ? Status::Ok() : start.status();
}

Result<Regex> Regex::Compile(std::string_view pattern, RegexOptions options, bool build_dfa) {
  Regex re;
  re.pattern_ = std::string(pattern);
  re.options_ = options;
  std::vector<RNode> nodes;
  PatternParser parser(pattern, options, &nodes);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  RegexBuilder builder(&re);
  int match = builder.Add({NfaState::kMatch, -1, -1, -1});
  auto start = builder.Build(nodes, *root, match);
  if (!start.ok()) return start.status();
  re.start_ = *start;
  if (build_dfa) builder.BuildDfa();
  return re;
}

bool Regex::Search(std::string_view text) const {
  if (flags_.empty()) return SimulateNfa(text);
  const uint16_t* table = transitions_.data();
  const int classes = classes_;
  unsigned state = 0;
  uint8_t f = flags_[0];
  for (unsigned char c : text) {
    if (f & (kAccepting | kDead)) break;
    state = table[state * classes + byte_class_[c]];
    f = flags_[state];
  }
  if (f & kAccepting) return true;
  if (f & kDead) return false;
  return (f & kAcceptAtEnd) != 0;
}

bool Regex::SimulateNfa(std::string_view text) const {
  // The same steps the DFA builder takes, done on the fly. The builder only
  // reads the NFA here (Closure, Step, Flags); it needs a non-const pointer
  // for the building methods this path never calls.
  RegexBuilder b(const_cast<Regex*>(this));
  std::vector<int> set = b.Closure({start_}, true, false);
  bool bol = true;
  for (unsigned char c : text) {
    if (b.StepFlagsAccepting(set)) return true;
    set = b.Step(set, bol, c, &bol);
  }
  return (b.Flags(set, bol) & (kAccepting | kAcceptAtEnd)) != 0;
}

}  // namespace skyrun::expr
