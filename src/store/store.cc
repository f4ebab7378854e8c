#include "store/store.h"

#include "common/strings.h"
#include "store/sqlite_store.h"

namespace skyrun {

const char* RoleName(AccessRole r) {
  switch (r) {
    case AccessRole::kAdmin: return "admin";
    case AccessRole::kMember: return "member";
    case AccessRole::kViewer: return "viewer";
    case AccessRole::kProvider: return "provider";
  }
  return "viewer";
}

std::optional<AccessRole> ParseRole(const std::string& s) {
  for (AccessRole r : {AccessRole::kAdmin, AccessRole::kMember, AccessRole::kViewer, AccessRole::kProvider}) {
    if (EqualsIgnoreCase(s, RoleName(r))) return r;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& state_dir, Clock* clock) {
  return Open(state_dir, clock, SpecDecoder());
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& state_dir, Clock* clock, SpecDecoder decoder) {
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                          SqliteStore::Open(state_dir, clock, std::move(decoder)));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace skyrun
