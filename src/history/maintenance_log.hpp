// The site's maintenance record: battery replacements (work date, serial number of the new
// block, note) and notes on a battery or a string, each with who entered it and when. Kept for
// the life of the site in the gateway's data folder (maintenance.db, SQLite, schema part
// "maintenance"), apart from the measured history: it is a record people write, read in audits
// and in the attention page (a replaced battery's baseline is being learned again).
//
// Thread-safe. No web or engine types here: the API (web/maintenance_handlers) validates and
// audits; this only stores.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace btms::history {

class SqliteDb;

inline constexpr int kMaintenanceSchemaVersion = 1;

enum class MaintenanceKind : std::uint8_t {
  note,         // free text on a battery (position > 0) or the whole string (position 0)
  replacement,  // a battery block exchanged: its resistance baseline is learned again
};

std::string_view to_string(MaintenanceKind kind);
std::optional<MaintenanceKind> parse_maintenance_kind(std::string_view text);

struct MaintenanceRecord {
  std::int64_t id = 0;           // assigned by the store
  std::int64_t recorded_ms = 0;  // when it was entered (Unix ms, the gateway's clock)
  std::string work_date;         // the day the work was done, ISO 8601 "2026-12-05"
  int string_id = 0;
  int position = 0;  // battery position in the string, 0 = the string itself
  MaintenanceKind kind = MaintenanceKind::note;
  std::string serial;  // the new block's serial number (replacements)
  std::string note;
  std::string user;  // who entered it ("" = no login in force)
};

struct MaintenanceQuery {
  int string_id = 0;            // 0 = every string
  std::optional<int> position;  // set = only this battery (0 = string-level records)
  std::optional<MaintenanceKind> kind;
  std::size_t limit = 1000;
};

class MaintenanceLog {
 public:
  // Opens or creates the log in `path` ("" = in memory only). Throws std::runtime_error when it
  // cannot be opened, ops::SchemaTooNewError when a newer BTMS wrote it.
  explicit MaintenanceLog(const std::string& path);
  ~MaintenanceLog();
  MaintenanceLog(const MaintenanceLog&) = delete;
  MaintenanceLog& operator=(const MaintenanceLog&) = delete;

  // Stores the record (its id is ignored) and returns it with its id. Throws
  // std::runtime_error when it cannot be written (disk full): nothing is stored then.
  MaintenanceRecord add(MaintenanceRecord record);
  // Newest first (by work date, then by entry).
  std::vector<MaintenanceRecord> list(const MaintenanceQuery& query) const;
  // The latest replacement of every battery of a string that has one, by position.
  std::vector<MaintenanceRecord> latest_replacements(int string_id) const;

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace btms::history
