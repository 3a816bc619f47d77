// Versioned SQLite schemas: every database the gateway keeps (history, users, audit log) carries
// its schema version as a row of its own table schema_version(part, version): a row per part,
// not PRAGMA user_version, because parts may share one file (the users and the audit log can).
// No table or no row = version 0 (an empty file, or one from before versions were kept). Opening a
// database brings it forward through the missing steps in one transaction (all or nothing: a failed
// upgrade leaves the old database untouched), and refuses a database written by a newer BTMS
// instead of starting on a layout it does not know (a downgrade must never corrupt data or start
// half-working).
#pragma once

#include <sqlite3.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace btms::ops {

// One forward step: turns a database at version `version - 1` into one at `version`.
struct SchemaStep {
  int version = 0;
  std::function<void(sqlite3*)> apply;
};

// What a part's tables should look like: the part (its row in schema_version), the file (for
// messages) and every step from version 0 up to the newest.
struct Schema {
  std::string part;  // "history", "users", "audit"
  std::string file;
  std::vector<SchemaStep> steps;  // versions 1, 2, ... in order
  int latest_version() const { return steps.empty() ? 0 : steps.back().version; }
};

// The database was written by a newer BTMS than this one.
class SchemaTooNewError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The version of `part` stored in an open database (0 when none is stored).
int read_schema_version(sqlite3* db, const std::string& part);

// Brings `db` to schema.latest_version(): reads the version inside a write transaction (another
// connection may have just upgraded it), applies the missing steps and the new version in that
// same transaction, commits. Throws SchemaTooNewError when the file is newer than the schema
// knows, std::runtime_error when a step fails (rolled back). Returns the version found.
int migrate_schema(sqlite3* db, const Schema& schema);

// Runs SQL (several statements allowed), throwing std::runtime_error with SQLite's message.
void exec_sql(sqlite3* db, const char* sql);

}  // namespace btms::ops
