// btms backup / restore: a backup taken during full ingest restores to a consistent state; one
// taken at rest restores every value and event; a damaged, newer or misplaced backup is refused
// before anything in the target changes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud/cloud_settings_store.hpp"
#include "engine/config_fields.hpp"
#include "engine/engine_config_store.hpp"
#include "history/history_store.hpp"
#include "model/clock.hpp"
#include "notify/recipients_store.hpp"
#include "ops/data_dir_backup.hpp"
#include "ops/schema_version.hpp"
#include "ops/tar_archive.hpp"
#include "security/audit_log.hpp"
#include "security/user_store.hpp"
#include "temp_dir.hpp"
#include "web/auth_handlers.hpp"
#include "web/web_server.hpp"

namespace btms::ops {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0_ms = 1'760'000'000'000;
constexpr int kStrings = 4;
constexpr int kBatteries = 120;
constexpr int kSteps = 300;

std::shared_ptr<const model::ChannelDirectory> plant_channels() {
  auto directory = std::make_shared<model::ChannelDirectory>();
  for (int s = 1; s <= kStrings; ++s) {
    directory->add("string/" + std::to_string(s) + "/voltage", "V");
    for (int b = 1; b <= kBatteries; ++b) {
      const auto id = "battery/" + std::to_string(s) + "/" + std::to_string(b);
      directory->add(id + "/voltage", "V");
      directory->add(id + "/temperature", "°C");
      directory->add(id + "/resistance", "mΩ");
    }
  }
  return directory;
}

std::vector<std::string> names_of(const model::ChannelDirectory& directory) {
  std::vector<std::string> names;
  for (model::ChannelId id = 0; id < directory.size(); ++id)
    names.push_back(directory.info(id).name);
  return names;
}

// Step k: every value changes (so every sample is stored) and one event with id k.
model::Snapshot snapshot_at(const std::shared_ptr<const model::ChannelDirectory>& directory,
                            int k) {
  model::Snapshot snap;
  snap.channels = directory;
  snap.sequence = static_cast<std::uint64_t>(k);
  snap.time_ms = kT0_ms + k * 1000;
  snap.samples.resize(directory->size());
  for (std::size_t i = 0; i < snap.samples.size(); ++i)
    snap.samples[i] = {10.0 + k + 0.001 * static_cast<double>(i % 7), snap.time_ms,
                       model::Quality::ok};
  return snap;
}

model::Event event_at(int k) {
  model::Event event;
  event.id = static_cast<std::uint64_t>(k);
  event.time_ms = kT0_ms + k * 1000;
  event.kind = model::EventKind::note;
  event.source = "string/1";
  event.text = "step " + std::to_string(k);
  return event;
}

struct Counts {
  std::vector<std::uint64_t> values_per_channel;
  std::vector<std::uint64_t> event_ids;
};

Counts count_history(const std::string& path, const std::vector<std::string>& channels) {
  auto store = history::open_sqlite_store(path);
  Counts counts;
  // One bucket per second: the raw tier answers, each bucket's count is its stored samples.
  const auto series = store->query(channels, kT0_ms, kT0_ms + (kSteps + 1) * 1000, kSteps + 1);
  for (const auto& s : series) {
    EXPECT_EQ(s.tier, history::Tier::raw);
    std::uint64_t n = 0;
    for (const auto& b : s.buckets) n += b.count;
    counts.values_per_channel.push_back(n);
  }
  for (const auto& e : store->events(0, kT0_ms * 2, 100'000)) counts.event_ids.push_back(e.id);
  return counts;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string integrity(const fs::path& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
  std::string result = sqlite3_step(stmt) == SQLITE_ROW
                           ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))
                           : "no answer";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

class FixedClock final : public model::Clock {
 public:
  std::int64_t now_ms() const override { return kT0_ms; }
  double rate() const override { return 1.0; }
};

// A data folder as a gateway leaves it: users, audit entries, saved settings.
void populate_security_and_settings(const fs::path& dir) {
  security::UserStore users(web::users_db_path(dir.string()),
                            security::PasswordHashCost::minimum());
  users.add_user("admin", security::Role::admin, "long-enough-pw", kT0_ms);
  users.add_user("viewer", security::Role::viewer, "long-enough-pw", kT0_ms);
  security::AuditLog audit(web::audit_db_path(dir.string()));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(audit.append(kT0_ms + i, "admin", "127.0.0.1", security::AuditAction::user_change,
                             "user/viewer", ""));
  engine::EngineConfig config;
  config.defaults.battery.temperature_alarm_C = 41.0;
  ASSERT_EQ(engine::save_engine_config(engine::saved_config_path(dir.string()), config), "");
  ASSERT_EQ(
      cloud::save_cloud_edits(cloud::cloud_settings_path(dir.string()),
                              {{"broker", "mqtts://mq.example.com:8883"}, {"password", "pw"}}),
      "");
  notify::Recipient hook;
  hook.name = "dcim";
  hook.channel = notify::ChannelKind::webhook;
  hook.address = "https://dcim.example.net/hook";
  hook.secret = "hmac-key";
  ASSERT_EQ(notify::save_edited_recipients(notify::recipients_store_path(dir.string()), {hook}),
            "");
}

TEST(BackupRestore, FileNamesAreThoseTheGatewayUses) {
  std::vector<std::string> names;
  for (const auto& f : data_dir_files()) names.push_back(f.name);
  const std::string d = "/d";
  auto has = [&](const std::string& path) {
    return std::find(names.begin(), names.end(), fs::path(path).filename().string()) != names.end();
  };
  EXPECT_TRUE(has(web::users_db_path(d)));
  EXPECT_TRUE(has(web::audit_db_path(d)));
  EXPECT_TRUE(has(engine::saved_config_path(d)));
  EXPECT_TRUE(has(notify::recipients_store_path(d)));
  EXPECT_TRUE(has(web::tls_cert_path(d)));
  EXPECT_TRUE(has(web::tls_key_path(d)));
  EXPECT_TRUE(has(d + "/history.db"));  // gateway_runtime.cpp open_history()
  EXPECT_TRUE(has(cloud::cloud_settings_path(d)));
}

TEST(BackupRestore, BackupDuringFullIngestRestoresEveryValueAndEvent) {
  test::TempDir work;
  const fs::path data = work.path() / "data";
  fs::create_directories(data);
  populate_security_and_settings(data);
  const auto directory = plant_channels();
  const auto channels = names_of(*directory);
  FixedClock clock;

  history::HistoryOptions options;
  options.commit_interval_ms = 50;
  options.disk_low_free_bytes = 0;
  auto store = history::open_sqlite_store((data / "history.db").string(), options);
  std::atomic<int> written{0}, flushed{0};
  std::atomic<bool> backup_done{false};
  std::thread ingest([&] {
    for (int k = 1; k <= kSteps; ++k) {
      store->append(snapshot_at(directory, k));
      store->append_event(event_at(k));
      written = k;
      // Keeps the queue from overflowing (a dropped snapshot would make the count wrong);
      // the writer keeps committing all the time.
      if (k % 10 == 0 && store->flush()) flushed = k;
      // Half the steps wait for the backup: the backup is taken with ingest running on both
      // sides of it.
      if (k == kSteps / 2)
        while (!backup_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  while (flushed < kSteps / 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int flushed_before = flushed;
  const auto during = backup_data_dir(data.string(), (work.path() / "during.tar").string(), clock);
  const int written_after = written;
  backup_done = true;
  ingest.join();
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(store->stats().snapshots_dropped, 0u);
  EXPECT_EQ(store->stats().events_dropped, 0u);
  // history, users, audit, engine settings, cloud settings, edited recipients (no TLS files)
  EXPECT_EQ(during.files.size(), 6u);

  // Taken while ingesting: one consistent state somewhere between the two marks.
  {
    const fs::path restored = work.path() / "restored-during";
    restore_data_dir((work.path() / "during.tar").string(), restored.string(), {});
    EXPECT_EQ(integrity(restored / "history.db"), "ok");
    const auto counts = count_history((restored / "history.db").string(), channels);
    const auto k = counts.values_per_channel.front();
    for (auto n : counts.values_per_channel) EXPECT_EQ(n, k);  // every channel at one step
    EXPECT_GE(k, static_cast<std::uint64_t>(flushed_before));
    EXPECT_LE(k, static_cast<std::uint64_t>(written_after));
    EXPECT_LT(k, static_cast<std::uint64_t>(kSteps));  // really taken mid-ingest
    ASSERT_FALSE(counts.event_ids.empty());
    for (std::size_t i = 0; i < counts.event_ids.size(); ++i)
      EXPECT_EQ(counts.event_ids[i], i + 1);  // no gap
    EXPECT_LE(counts.event_ids.size(), k + 1);
    EXPECT_GE(counts.event_ids.size() + 1, k);
  }

  // Taken after the last commit, the gateway still running: every value and event.
  const auto after = backup_data_dir(data.string(), (work.path() / "after.tar").string(), clock);
  EXPECT_GT(after.archive_bytes, during.archive_bytes);
  const fs::path restored = work.path() / "restored-after";
  restore_data_dir((work.path() / "after.tar").string(), restored.string(), {});
  for (const auto* name : {"history.db", "users.sqlite", "audit.sqlite"})
    EXPECT_EQ(integrity(restored / name), "ok") << name;
  const auto counts = count_history((restored / "history.db").string(), channels);
  ASSERT_EQ(counts.values_per_channel.size(), channels.size());
  std::uint64_t values = 0;
  for (auto n : counts.values_per_channel) values += n;
  EXPECT_EQ(values, static_cast<std::uint64_t>(kSteps) * channels.size());
  ASSERT_EQ(counts.event_ids.size(), static_cast<std::size_t>(kSteps));
  EXPECT_EQ(counts.event_ids.back(), static_cast<std::uint64_t>(kSteps));
  security::UserStore users(web::users_db_path(restored.string()),
                            security::PasswordHashCost::minimum());
  EXPECT_EQ(users.list().size(), 2u);
  EXPECT_TRUE(users.verify("admin", "long-enough-pw").has_value());
  security::AuditLog audit(web::audit_db_path(restored.string()));
  EXPECT_EQ(audit.query(0, kT0_ms * 2, 100).size(), 3u);
  EXPECT_EQ(read_all(restored / "engine-config.json"), read_all(data / "engine-config.json"));
  EXPECT_EQ(read_all(restored / "notify-recipients.json"),
            read_all(data / "notify-recipients.json"));
  EXPECT_EQ(fs::status(restored / "notify-recipients.json").permissions() &
                (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  EXPECT_EQ(fs::status(restored / "users.sqlite").permissions() & fs::perms::others_read,
            fs::perms::none);
  EXPECT_EQ(read_all(restored / "cloud-settings.json"), read_all(data / "cloud-settings.json"));
  EXPECT_EQ(fs::status(restored / "cloud-settings.json").permissions() & fs::perms::others_read,
            fs::perms::none)
      << "it holds the broker's password";
  EXPECT_EQ(fs::status(work.path() / "after.tar").permissions() & fs::perms::others_read,
            fs::perms::none);
}

// Builds an archive by hand from a staged folder (the manifest and files as given).
void write_archive(const fs::path& archive, const fs::path& staged) {
  TarWriter tar(archive);
  tar.add_file(kBackupManifestName, staged / kBackupManifestName, 0);
  for (const auto& entry : fs::directory_iterator(staged)) {
    const auto name = entry.path().filename().string();
    if (name != kBackupManifestName) tar.add_file(name, entry.path(), 0);
  }
  tar.finish();
}

TEST(BackupRestore, RefusesDamagedNewerOrMisplacedBackupsWithoutTouchingTheTarget) {
  test::TempDir work;
  const fs::path data = work.path() / "data";
  fs::create_directories(data);
  populate_security_and_settings(data);
  {
    auto store = history::open_sqlite_store((data / "history.db").string());
    const auto directory = plant_channels();
    for (int k = 1; k <= 5; ++k) {
      store->append(snapshot_at(directory, k));
      store->append_event(event_at(k));
    }
    ASSERT_TRUE(store->flush());
  }
  FixedClock clock;
  const auto good = work.path() / "good.tar";
  backup_data_dir(data.string(), good.string(), clock);
  const fs::path unpacked = work.path() / "unpacked";
  fs::create_directories(unpacked);
  extract_tar(good, unpacked);

  struct Case {
    std::string name;
    std::function<void(const fs::path& staged, fs::path& archive)> spoil;
    std::string expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {"newer backup format",
       [](const fs::path& staged, fs::path&) {
         auto m = nlohmann::json::parse(read_all(staged / kBackupManifestName));
         m["format"] = kBackupFormat + 1;
         std::ofstream(staged / kBackupManifestName, std::ios::trunc) << m.dump();
       },
       "backup format"},
      {"newer history schema",
       [](const fs::path& staged, fs::path&) {
         sqlite3* db = nullptr;
         sqlite3_open((staged / "history.db").c_str(), &db);
         exec_sql(db, "UPDATE schema_version SET version = version + 1 WHERE part = 'history'");
         sqlite3_close(db);
         auto m = nlohmann::json::parse(read_all(staged / kBackupManifestName));
         for (auto& f : m["files"])
           if (f["name"] == "history.db") f["size"] = fs::file_size(staged / "history.db");
         std::ofstream(staged / kBackupManifestName, std::ios::trunc) << m.dump();
       },
       "newer"},
      {"newer settings",
       [](const fs::path& staged, fs::path&) {
         auto m = nlohmann::json::parse(read_all(staged / kBackupManifestName));
         m["settings_version"] = engine::kSettingsVersion + 1;
         std::ofstream(staged / kBackupManifestName, std::ios::trunc) << m.dump();
       },
       "newer"},
      {"corrupt database page",
       [](const fs::path& staged, fs::path&) {
         // Garbage over the second page (a b-tree page): integrity_check must see it.
         std::fstream f(staged / "users.sqlite", std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(4096);
         const std::string junk(512, '\x5a');
         f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
       },
       "users.sqlite"},
      {"missing file",
       [](const fs::path& staged, fs::path&) { fs::remove(staged / "audit.sqlite"); },
       "audit.sqlite"},
      {"no manifest",
       [](const fs::path& staged, fs::path&) { fs::remove(staged / kBackupManifestName); },
       "not a BTMS backup"},
      {"truncated archive",
       [&good](const fs::path& staged, fs::path& archive) {
         fs::remove(staged / kBackupManifestName);  // the archive below is used as it is
         fs::copy_file(good, archive, fs::copy_options::overwrite_existing);
         fs::resize_file(archive, fs::file_size(archive) / 2);
       },
       "truncated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path staged = work.path() / ("staged-" + std::to_string(&c - cases.data()));
    fs::create_directories(staged);
    for (const auto& entry : fs::directory_iterator(unpacked))
      fs::copy_file(entry.path(), staged / entry.path().filename());
    fs::path archive = work.path() / ("bad-" + std::to_string(&c - cases.data()) + ".tar");
    c.spoil(staged, archive);
    if (fs::exists(staged / kBackupManifestName)) {
      write_archive(archive, staged);
    } else if (!fs::exists(archive)) {
      TarWriter tar(archive);
      tar.add_file("history.db", staged / "history.db", 0);
      tar.finish();
    }
    const fs::path target = work.path() / ("target-" + std::to_string(&c - cases.data()));
    try {
      restore_data_dir(archive.string(), target.string(), {});
      ADD_FAILURE() << "restored";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
    }
    // Nothing was moved in, and no staging remains.
    EXPECT_TRUE(!fs::exists(target) || fs::is_empty(target));
  }

  // A folder with data is refused, and replaced with --force.
  const fs::path occupied = work.path() / "occupied";
  fs::create_directories(occupied);
  std::ofstream(occupied / "history.db") << "old";
  EXPECT_THROW(restore_data_dir(good.string(), occupied.string(), {}), std::runtime_error);
  EXPECT_EQ(read_all(occupied / "history.db"), "old");
  if (::geteuid() == 0) {
    // Restored by root into a folder of the service's user: the files are the user's.
    ASSERT_EQ(::chown(occupied.c_str(), 4242, 4343), 0);
  }
  restore_data_dir(good.string(), occupied.string(), {.force = true});
  EXPECT_EQ(integrity(occupied / "history.db"), "ok");
  if (::geteuid() == 0) {
    struct stat st {};
    ASSERT_EQ(::stat((occupied / "users.sqlite").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4242u);
    EXPECT_EQ(st.st_gid, 4343u);
  }
  EXPECT_FALSE(fs::exists(occupied / ".btms-restore"));
}

TEST(BackupRestore, ArchiveNamesOutsideTheFolderAreRefused) {
  test::TempDir work;
  const fs::path archive = work.path() / "evil.tar";
  {
    // A valid header whose name climbs out: written byte by byte, TarWriter refuses such names.
    std::array<char, 512> header{};
    const std::string name = "../escaped";
    std::memcpy(header.data(), name.data(), name.size());
    std::memcpy(&header[100], "0000600", 7);
    std::memcpy(&header[124], "00000000000", 11);
    header[156] = '0';
    std::memcpy(&header[257], "ustar", 6);
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
    const auto text = fmt::format("{:06o}", sum);
    std::memcpy(&header[148], text.data(), 6);
    header[155] = ' ';
    std::ofstream out(archive, std::ios::binary);
    out.write(header.data(), 512);
    const std::array<char, 1024> end{};
    out.write(end.data(), 1024);
  }
  const fs::path folder = work.path() / "in";
  fs::create_directories(folder);
  EXPECT_THROW(extract_tar(archive, folder), std::runtime_error);
  EXPECT_FALSE(fs::exists(work.path() / "escaped"));
}

}  // namespace
}  // namespace btms::ops
