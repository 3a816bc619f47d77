#include "ops/data_dir_backup.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/engine_config_store.hpp"
#include "history/history_store.hpp"
#include "history/maintenance_log.hpp"
#include "ops/schema_version.hpp"
#include "ops/tar_archive.hpp"
#include "security/audit_log.hpp"
#include "security/user_store.hpp"

#ifndef BTMS_VERSION
#error "BTMS_VERSION must be defined by the build"
#endif

namespace btms::ops {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingName = ".btms-restore";

// The names are those the gateway uses (gateway_runtime.cpp, web::users_db_path,
// web::audit_db_path, engine::saved_config_path, web::tls_cert_path/tls_key_path); the tests
// compare them with those functions.
const std::vector<DataFile> kFiles = {
    {"history.db", true, {{"history", history::kSqliteHistorySchemaVersion}}},
    {"users.sqlite", true, {{"users", security::kUsersSchemaVersion}}},
    {"audit.sqlite", true, {{"audit", security::kAuditSchemaVersion}}},
    {"engine-config.json", false, {}},
    {"tls-cert.pem", false, {}},
    {"tls-key.pem", false, {}},
    // Operators' names of UPSs and strings (web/display_names.cpp).
    {"display-names.json", false, {}},
    // The cloud link's settings edited on the settings page, password included (cloud/
    // cloud_settings_store.cpp, gateway_runtime).
    {"cloud-settings.json", false, {}},
    // The notification recipients edited on the settings page, webhook and SNMP secrets
    // included (notify/recipients_store.cpp, gateway_runtime); private like the rest.
    {"notify-recipients.json", false, {}},
    // Cloud messages not yet acknowledged by the broker (cloud/cloud_link.cpp, gateway_runtime).
    {"cloud-outbox.db", true, {}},
    // Notification deliveries: sent, retried, failed (notify/delivery_log.cpp, gateway_runtime).
    {"notify.db", true, {}},
    // Battery replacements and maintenance notes (history/maintenance_log.cpp, web_server).
    {"maintenance.db", true, {{"maintenance", history::kMaintenanceSchemaVersion}}},
};

class Connection {
 public:
  Connection(const fs::path& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(fmt::format("cannot open {}: {}", path.string(), message));
    }
    // The gateway's writer holds its write lock for one commit at a time.
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// One step over all pages: the whole copy is one read transaction of the source, hence one
// consistent state, while the gateway's writer keeps appending to the WAL.
void copy_database(const fs::path& source, const fs::path& destination) {
  Connection from(source, SQLITE_OPEN_READWRITE);  // never creates a missing file
  Connection to(destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (!backup)
    throw std::runtime_error(
        fmt::format("cannot back up {}: {}", source.string(), sqlite3_errmsg(to.get())));
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    // Only while a checkpoint or another writer holds the file: retry shortly.
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    throw std::runtime_error(
        fmt::format("backup of {} failed: {} (code {})", source.string(), sqlite3_errstr(rc), rc));
  // A self-contained file in the archive: no WAL beside it.
  exec_sql(to.get(), "PRAGMA journal_mode=DELETE");
}

std::string integrity_of(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK)
    return sqlite3_errmsg(db);
  std::string result;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    if (!result.empty()) result += "; ";
    result += text ? text : "?";
  }
  sqlite3_finalize(stmt);
  return result;
}

// A folder removed when it goes out of scope (the staging copies).
class ScratchDir {
 public:
  explicit ScratchDir(fs::path path) : path_(std::move(path)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::replace);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool holds_data(const fs::path& data_dir) {
  if (!fs::exists(data_dir)) return false;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (entry.path().filename() != kStagingName) return true;
  }
  return false;
}

}  // namespace

const std::vector<DataFile>& data_dir_files() {
  return kFiles;
}

const char* btms_version() {
  return BTMS_VERSION;
}

BackupReport backup_data_dir(const std::string& data_dir, const std::string& archive,
                             const model::Clock& clock) {
  const fs::path folder(data_dir);
  if (!fs::is_directory(folder))
    throw std::runtime_error(fmt::format("{} is not a folder", data_dir));
  const fs::path target = fs::absolute(archive);
  // Staged beside the destination: the copies can be large, and the rename below stays on
  // one file system.
  ScratchDir staging(target.parent_path() /
                     fmt::format(".{}.staging-{}", target.filename().string(), ::getpid()));
  BackupReport report;
  nlohmann::json manifest;
  manifest["format"] = kBackupFormat;
  manifest["btms_version"] = BTMS_VERSION;
  manifest["created_ms"] = clock.now_ms();
  manifest["settings_version"] = engine::kSettingsVersion;
  manifest["files"] = nlohmann::json::array();
  for (const auto& file : kFiles) {
    const fs::path source = folder / file.name;
    if (!fs::exists(source)) continue;
    const fs::path copy = staging.path() / file.name;
    nlohmann::json entry;
    entry["name"] = file.name;
    if (file.sqlite) {
      copy_database(source, copy);
      Connection check(copy, SQLITE_OPEN_READONLY);
      nlohmann::json schema = nlohmann::json::object();
      for (const auto& [part, version] : file.schema_parts) {
        (void)version;
        schema[part] = read_schema_version(check.get(), part);
      }
      entry["schema"] = schema;
    } else {
      fs::copy_file(source, copy, fs::copy_options::overwrite_existing);
    }
    entry["size"] = fs::file_size(copy);
    manifest["files"].push_back(entry);
    report.files.push_back(file.name);
  }
  {
    std::ofstream out(staging.path() / kBackupManifestName, std::ios::trunc);
    out << manifest.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write the backup manifest");
  }

  const fs::path partial = staging.path() / "archive.tar";
  const auto mtime_s = clock.now_ms() / 1000;
  {
    TarWriter tar(partial);
    // The manifest first: `tar tf` shows what the backup is before the bulk.
    tar.add_file(kBackupManifestName, staging.path() / kBackupManifestName, mtime_s);
    for (const auto& name : report.files) tar.add_file(name, staging.path() / name, mtime_s);
    tar.finish();
  }
  ::chmod(partial.c_str(), 0600);
  fs::rename(partial, target);
  report.archive_bytes = fs::file_size(target);
  return report;
}

RestoreReport restore_data_dir(const std::string& archive, const std::string& data_dir,
                               const RestoreOptions& options) {
  const fs::path folder(data_dir);
  if (!fs::exists(archive)) throw std::runtime_error(fmt::format("{} does not exist", archive));
  if (holds_data(folder) && !options.force)
    throw std::runtime_error(fmt::format(
        "{} already holds data; restore into an empty folder, or pass --force to replace its "
        "files (stop the gateway first)",
        data_dir));
  fs::create_directories(folder);
  ScratchDir staging(folder / kStagingName);
  const auto entries = extract_tar(archive, staging.path());

  nlohmann::json manifest;
  try {
    std::ifstream in(staging.path() / kBackupManifestName);
    if (!in) throw std::runtime_error("no manifest");
    manifest = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{} is not a BTMS backup ({}: {})", archive, kBackupManifestName, e.what()));
  }
  const int format = manifest.value("format", 0);
  const std::string made_by = manifest.value("btms_version", std::string("?"));
  if (format < 1 || format > kBackupFormat)
    throw std::runtime_error(fmt::format(
        "{} has backup format {}, this BTMS ({}) reads up to {}: it was made by BTMS {}; restore "
        "it with that version or newer",
        archive, format, BTMS_VERSION, kBackupFormat, made_by));
  if (manifest.value("settings_version", 0) > engine::kSettingsVersion)
    throw std::runtime_error(
        fmt::format("{} holds settings of a newer BTMS ({}), this one is {}; refusing to restore",
                    archive, made_by, BTMS_VERSION));

  RestoreReport report;
  report.backup_created_ms = manifest.value("created_ms", std::int64_t{0});
  report.backup_btms_version = made_by;
  for (const auto& entry : manifest.at("files")) {
    const std::string name = entry.at("name").get<std::string>();
    const DataFile* known = nullptr;
    for (const auto& file : kFiles)
      if (file.name == name) known = &file;
    if (!known)
      throw std::runtime_error(
          fmt::format("{} holds '{}', unknown to this BTMS ({}); it was made by BTMS {}", archive,
                      name, BTMS_VERSION, made_by));
    const fs::path staged = staging.path() / name;
    if (!fs::exists(staged) || fs::file_size(staged) != entry.at("size").get<std::uint64_t>())
      throw std::runtime_error(
          fmt::format("{}: '{}' is missing or has the wrong size: damaged backup", archive, name));
    if (known->sqlite) {
      Connection db(staged, SQLITE_OPEN_READONLY);
      const std::string integrity = integrity_of(db.get());
      if (integrity != "ok")
        throw std::runtime_error(
            fmt::format("{}: '{}' fails the integrity check: {}", archive, name, integrity));
      for (const auto& [part, latest] : known->schema_parts) {
        const int version = read_schema_version(db.get(), part);
        if (version > latest)
          throw std::runtime_error(fmt::format(
              "{}: '{}' has {} schema version {}, newer than the {} of this BTMS ({}); it was "
              "made by BTMS {}: install that version or newer to restore it",
              archive, name, part, version, latest, BTMS_VERSION, made_by));
      }
    }
    report.files.push_back(name);
  }
  (void)entries;

  // Everything checked: only now is the target touched.
  for (const auto& file : kFiles) {
    for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ignored;
      fs::remove(folder / (file.name + suffix), ignored);
    }
  }
  // Run as root (the usual way to restore /var/lib/btms), the files would belong to root and
  // the service's user could not open them: they take the owner of the folder they land in.
  struct stat folder_stat {};
  const bool adopt_owner = ::geteuid() == 0 && ::stat(folder.c_str(), &folder_stat) == 0;
  for (const auto& name : report.files) {
    fs::rename(staging.path() / name, folder / name);
    if (adopt_owner &&
        ::chown((folder / name).c_str(), folder_stat.st_uid, folder_stat.st_gid) != 0)
      throw std::runtime_error(fmt::format("restored {} but cannot give it to the folder's owner",
                                           (folder / name).string()));
  }
  return report;
}

}  // namespace btms::ops
