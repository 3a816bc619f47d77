// Online backup and restore of a gateway's data folder (--data-dir, /var/lib/btms).
//
// A backup is one POSIX tar file (readable with `tar tvf`) holding a manifest
// (btms-backup.json: format, BTMS version, time, every file with its size and schema versions)
// and a copy of each file of the folder that exists:
//   history.db          time series, events, discharges   (SQLite, copied with the backup API)
//   users.sqlite        logins                             (SQLite, backup API)
//   audit.sqlite        audit log                          (SQLite, backup API)
//   engine-config.json  settings saved through the API     (copied)
//   tls-cert.pem, tls-key.pem  the generated certificate   (copied)
//   cloud-settings.json the cloud link's edited settings   (copied; holds the broker password)
//   notify-recipients.json  recipients edited on the settings page (copied; holds secrets)
// SQLite files are copied through SQLite's online backup API in one read transaction each: the
// gateway keeps ingesting (WAL lets its writer go on), and each copy is one consistent state.
// The archive is written beside its destination and renamed into place once synced, with mode
// 0600 (it holds password hashes and the TLS key).
//
// A restore unpacks into a staging folder inside the target, checks the manifest (format and
// every schema version no newer than this build knows), every file's size, and PRAGMA
// integrity_check of every database, before it touches anything; then it moves the files in.
// It refuses a target holding any data file unless forced (then the old files are replaced).
// The gateway must be stopped while restoring (systemctl stop btms-gateway).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/clock.hpp"

namespace btms::ops {

// A file of the data folder that a backup carries.
struct DataFile {
  std::string name;
  bool sqlite = false;
  std::vector<std::pair<std::string, int>> schema_parts;  // part -> version this build writes
};

// Every file a backup carries, in archive order.
const std::vector<DataFile>& data_dir_files();

inline constexpr int kBackupFormat = 1;
inline constexpr const char* kBackupManifestName = "btms-backup.json";

struct BackupReport {
  std::vector<std::string> files;  // names archived (absent ones are skipped)
  std::uint64_t archive_bytes = 0;
};

// Throws std::runtime_error naming what failed; leaves no partial archive behind.
BackupReport backup_data_dir(const std::string& data_dir, const std::string& archive,
                             const model::Clock& clock);

struct RestoreOptions {
  bool force = false;  // replace the data files already in the target
};

struct RestoreReport {
  std::vector<std::string> files;
  std::int64_t backup_created_ms = 0;
  std::string backup_btms_version;
};

// Throws std::runtime_error (nothing in data_dir changed) when the archive is damaged, newer
// than this build, fails an integrity check, or the target holds data and force is not set.
RestoreReport restore_data_dir(const std::string& archive, const std::string& data_dir,
                               const RestoreOptions& options);

// The version string of this build ("0.1.0").
const char* btms_version();

}  // namespace btms::ops
