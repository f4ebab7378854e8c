// SqliteStore: tenants, tokens and the node inventory.
#include <set>

#include "common/strings.h"
#include "store/node_json.h"
#include "store/sqlite_store.h"
#include "store/store_rows.h"

namespace skyrun {

namespace {

constexpr size_t kTokenHashLength = 64;  // hex SHA-256

// Lower-case hex of the right length, or InvalidArgument: a caller that
// passes the secret itself is stopped before it is stored.
Result<std::string> NormalizeTokenHash(const std::string& hash) {
  std::string lower = ToLower(hash);
  bool hex =
      lower.size() == kTokenHashLength && lower.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) {
    return InvalidArgument(
        "a token is stored as the hex SHA-256 of its secret (64 hex digits), never the "
        "secret itself; hash it first");
  }
  return lower;
}

Result<TenantRecord> ReadTenant(SqliteDb& db, const std::string& name) {
  SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query,
                          db.Prepare("SELECT id, name, created_at FROM tenants WHERE name = ?"));
  query.Bind(1, name);
  SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return NotFound("tenant \"" + name + "\" not found");
  return TenantRecord{TenantId(query.Int(0)), query.Text(1), query.Int(2)};
}

}  // namespace

// -------------------------------------------------------------------- tenants

Result<TenantRecord> SqliteStore::CreateTenant(const std::string& name) {
  const std::string operation = "creating tenant \"" + name + "\"";
  if (name.empty() || Trim(name) != name) {
    return InvalidArgument(operation +
                           ": a tenant name must be non-empty, without leading or trailing spaces");
  }
  TenantRecord tenant{TenantId(), name, clock_->Now()};
  Status status = Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery insert,
                            db.Prepare("INSERT INTO tenants (name, created_at) VALUES (?, ?)"));
    insert.Bind(1, name).Bind(2, tenant.created_at);
    Status inserted = insert.Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExists("tenant \"" + name + "\" already exists");
    }
    SKYRUN_RETURN_IF_ERROR(inserted);
    tenant.id = TenantId(db.LastInsertRowId());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return tenant;
}

Result<TenantRecord> SqliteStore::GetTenantByName(const std::string& name) {
  return Read<TenantRecord>("reading tenant \"" + name + "\"",
                            [&](SqliteDb& db) { return ReadTenant(db, name); });
}

Result<std::vector<TenantRecord>> SqliteStore::ListTenants() {
  using Tenants = std::vector<TenantRecord>;
  return Read<Tenants>("listing tenants", [&](SqliteDb& db) -> Result<Tenants> {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query,
                            db.Prepare("SELECT id, name, created_at FROM tenants ORDER BY id"));
    Tenants out;
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) return out;
      out.push_back(TenantRecord{TenantId(query.Int(0)), query.Text(1), query.Int(2)});
    }
  });
}

// --------------------------------------------------------------------- tokens

Result<TokenRecord> SqliteStore::CreateToken(TenantId tenant, AccessRole role, const std::string& token_hash,
                                             const std::string& description, const TokenOptions& options) {
  const std::string operation = "creating a token for tenant " + tenant.ToString();
  auto hash = NormalizeTokenHash(token_hash);
  if (!hash.ok()) return hash.status().WithContext(operation);
  if (options.prefix.size() > kMaxTokenPrefixLength) {
    return InvalidArgument(operation + ": a token prefix has at most " +
                           std::to_string(kMaxTokenPrefixLength) +
                           " characters; it identifies the token and must never carry its secret");
  }
  if (options.expires_at < 0) return InvalidArgument(operation + ": the expiry time is negative");
  TokenRecord token;
  token.tenant = tenant;
  token.role = role;
  token.description = description;
  token.created_at = clock_->Now();
  token.prefix = options.prefix;
  token.expires_at = options.expires_at;
  Status status = Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery owner, db.Prepare("SELECT name FROM tenants WHERE id = ?"));
    owner.Bind(1, tenant.value());
    SKYRUN_ASSIGN_OR_RETURN(bool found, owner.Step());
    if (!found) return NotFound(operation + ": tenant " + tenant.ToString() + " not found");
    token.tenant_name = owner.Text(0);
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO tokens (tenant_id, role, hash, description, created_at, prefix, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, tenant.value()).Bind(2, RoleName(role)).Bind(3, *hash).Bind(4, description);
    insert.Bind(5, token.created_at).Bind(6, token.prefix).Bind(7, token.expires_at);
    Status inserted = insert.Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExists(operation + ": a token with this hash already exists; make a new secret");
    }
    SKYRUN_RETURN_IF_ERROR(inserted);
    token.id = TokenId(db.LastInsertRowId());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return token;
}

Result<TokenRecord> SqliteStore::LookupToken(const std::string& token_hash) {
  auto hash = NormalizeTokenHash(token_hash);
  if (!hash.ok()) return NotFound("unknown token");
  return Read<TokenRecord>("looking up a token", [&](SqliteDb& db) -> Result<TokenRecord> {
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery query,
        db.Prepare(std::string("SELECT ") + kTokenColumns +
                   " FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ?"));
    query.Bind(1, *hash);
    SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return NotFound("unknown token");
    return TokenFromRow(query);
  });
}

Result<std::vector<TokenRecord>> SqliteStore::ListTokens(std::optional<TenantId> tenant) {
  using Tokens = std::vector<TokenRecord>;
  return Read<Tokens>("listing tokens", [&](SqliteDb& db) -> Result<Tokens> {
    std::string sql =
        std::string("SELECT ") + kTokenColumns + " FROM tokens k JOIN tenants t ON t.id = k.tenant_id";
    if (tenant) sql += " WHERE k.tenant_id = ?";
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare(sql + " ORDER BY k.id"));
    if (tenant) query.Bind(1, tenant->value());
    Tokens out;
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) return out;
      SKYRUN_ASSIGN_OR_RETURN(TokenRecord token, TokenFromRow(query));
      out.push_back(std::move(token));
    }
  });
}

Result<TokenRecord> SqliteStore::RevokeToken(TokenId id, std::optional<TenantId> keep_an_admin_of) {
  const std::string operation = "revoking token " + id.ToString();
  const Micros now = clock_->Now();
  TokenRecord token;
  Status status = Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery read,
                            db.Prepare(std::string("SELECT ") + kTokenColumns +
                                       " FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?"));
    read.Bind(1, id.value());
    SKYRUN_ASSIGN_OR_RETURN(bool found, read.Step());
    if (!found) return NotFound("token " + id.ToString() + " not found");
    SKYRUN_ASSIGN_OR_RETURN(token, TokenFromRow(read));
    if (token.Revoked()) return Status::Ok();
    if (keep_an_admin_of && token.tenant == *keep_an_admin_of && token.role == AccessRole::kAdmin &&
        token.LiveAt(now)) {
      SKYRUN_ASSIGN_OR_RETURN(
          SqliteQuery others,
          db.Prepare(
              "SELECT COUNT(*) FROM tokens WHERE tenant_id = ? AND role = ? AND id != ? AND revoked_at = 0 "
              "AND (expires_at = 0 OR expires_at > ?)"));
      others.Bind(1, token.tenant.value())
          .Bind(2, RoleName(AccessRole::kAdmin))
          .Bind(3, id.value())
          .Bind(4, now);
      SKYRUN_ASSIGN_OR_RETURN(bool counted, others.Step());
      if (!counted || others.Int(0) == 0) {
        return FailedPrecondition("token " + id.ToString() + " is the last live admin token of tenant \"" +
                                  token.tenant_name +
                                  "\": without it nobody could administer the platform (create tenants and "
                                  "tokens, revoke them); create another admin token for \"" +
                                  token.tenant_name + "\" first, then revoke this one");
      }
    }
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery revoke,
                            db.Prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0"));
    revoke.Bind(1, now).Bind(2, id.value());
    SKYRUN_RETURN_IF_ERROR(revoke.Run());
    token.revoked_at = now;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return token;
}

Status SqliteStore::RecordTokenUse(TokenId id, Micros at) {
  return Write("recording the use of token " + id.ToString(), [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery update,
                            db.Prepare("UPDATE tokens SET last_used_at = MAX(last_used_at, ?) WHERE id = ?"));
    update.Bind(1, at).Bind(2, id.value());
    SKYRUN_RETURN_IF_ERROR(update.Run());
    if (db.Changes() == 0) return NotFound("token " + id.ToString() + " not found");
    return Status::Ok();
  });
}

// ---------------------------------------------------------------------- nodes

Status SqliteStore::ReplaceNodes(const std::string& backend, const std::vector<Node>& nodes) {
  const std::string operation = "replacing the nodes of backend \"" + backend + "\"";
  if (backend.empty()) return InvalidArgument(operation + ": the backend name is empty");
  std::vector<std::string> rows;
  std::set<std::string> names;
  for (const Node& node : nodes) {
    if (node.name.empty()) return InvalidArgument(operation + ": a node has no name");
    if (!node.backend.empty() && node.backend != backend) {
      return InvalidArgument(operation + ": node \"" + node.name + "\" belongs to backend \"" + node.backend +
                             "\"");
    }
    if (!names.insert(node.name).second) {
      return InvalidArgument(operation + ": node \"" + node.name + "\" is listed twice");
    }
    Node stored = node;
    stored.backend = backend;
    rows.push_back(NodeToJson(stored));
  }
  const Micros now = clock_->Now();
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery remove, db.Prepare("DELETE FROM nodes WHERE backend = ?"));
    remove.Bind(1, backend);
    SKYRUN_RETURN_IF_ERROR(remove.Run());
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO nodes (name, backend, node_json, updated_at) VALUES (?, ?, ?, ?)"));
    for (size_t i = 0; i < nodes.size(); ++i) {
      insert.Bind(1, nodes[i].name).Bind(2, backend).Bind(3, rows[i]).Bind(4, now);
      Status inserted = insert.Run();
      if (inserted.code() == StatusCode::kAlreadyExists) {
        return AlreadyExists(operation + ": a node named \"" + nodes[i].name +
                             "\" is already reported by another backend; node names must be unique");
      }
      SKYRUN_RETURN_IF_ERROR(inserted);
      insert.Reset();
    }
    return Status::Ok();
  });
}

Result<std::vector<Node>> SqliteStore::ListNodes() {
  using Nodes = std::vector<Node>;
  return Read<Nodes>("listing nodes", [&](SqliteDb& db) -> Result<Nodes> {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query,
                            db.Prepare("SELECT name, node_json FROM nodes ORDER BY backend, name"));
    Nodes out;
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) return out;
      auto node = NodeFromJson(query.Text(1));
      if (!node.ok()) {
        return Internal("node \"" + query.Text(0) + "\" in the state database: " + node.status().message());
      }
      out.push_back(std::move(node).value());
    }
  });
}

Status SqliteStore::PutDirectoryRow(const DirectoryRow& row) {
  const std::string operation = "recording the directory entry " + row.provider + "/" + row.region;
  if (row.provider.empty() || row.region.empty())
    return InvalidArgument(operation + ": provider and region are required");
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery upsert,
        db.Prepare("INSERT INTO directory (provider, region, zone, instance_type, entry_json, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, region, zone, instance_type) "
                   "DO UPDATE SET entry_json = excluded.entry_json, updated_at = excluded.updated_at"));
    upsert.Bind(1, row.provider)
        .Bind(2, row.region)
        .Bind(3, row.zone)
        .Bind(4, row.instance_type)
        .Bind(5, row.entry_json)
        .Bind(6, row.updated_at);
    return upsert.Run();
  });
}

Result<std::vector<DirectoryRow>> SqliteStore::ListDirectoryRows() {
  using Rows = std::vector<DirectoryRow>;
  return Read<Rows>("listing the directory", [&](SqliteDb& db) -> Result<Rows> {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query,
                            db.Prepare("SELECT provider, region, zone, instance_type, entry_json, updated_at "
                                       "FROM directory ORDER BY provider, region, zone, instance_type"));
    Rows out;
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool more, query.Step());
      if (!more) return out;
      DirectoryRow row;
      row.provider = query.Text(0);
      row.region = query.Text(1);
      row.zone = query.Text(2);
      row.instance_type = query.Text(3);
      row.entry_json = query.Text(4);
      row.updated_at = query.Int(5);
      out.push_back(std::move(row));
    }
  });
}

}  // namespace skyrun
