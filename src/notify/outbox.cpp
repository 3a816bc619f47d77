#include "notify/outbox.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

#include "notify/notify_db_schema.hpp"
#include "security/sqlite_handle.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;
using security::detail::SqliteHandle;
using security::detail::SqliteStatement;

json alarm_json(const NotifiedAlarm& a) {
  return {{"key", a.key},
          {"source", a.source},
          {"rule", a.rule},
          {"text", a.text},
          {"severity", static_cast<int>(a.severity)},
          {"value", a.value},
          {"raised_ms", a.raised_ms},
          {"cleared_ms", a.cleared_ms},
          {"active", a.active},
          {"acknowledged", a.acknowledged},
          {"acknowledged_by", a.acknowledged_by}};
}

NotifiedAlarm alarm_from(const json& j) {
  NotifiedAlarm a;
  a.key = j.at("key").get<std::string>();
  a.source = j.at("source").get<std::string>();
  a.rule = j.at("rule").get<std::string>();
  a.text = j.at("text").get<std::string>();
  a.severity = static_cast<model::Severity>(j.at("severity").get<int>());
  a.value = j.at("value").get<double>();
  a.raised_ms = j.at("raised_ms").get<std::int64_t>();
  a.cleared_ms = j.at("cleared_ms").get<std::int64_t>();
  a.active = j.at("active").get<bool>();
  a.acknowledged = j.at("acknowledged").get<bool>();
  a.acknowledged_by = j.at("acknowledged_by").get<std::string>();
  return a;
}

}  // namespace

std::string notification_json(const Notification& n) {
  json alarms = json::array();
  for (const auto& a : n.alarms) alarms.push_back(alarm_json(a));
  json j = {{"recipient", n.recipient},
            {"tier", n.tier},
            {"group", n.group},
            {"reason", static_cast<int>(n.reason)},
            {"alarms", alarms},
            {"time_ms", n.time_ms},
            {"subject", n.subject},
            {"text", n.text},
            {"html", n.html},
            {"test", n.test},
            {"message_id", n.message_id},
            {"late", n.late}};
  if (n.ups_alarm) {
    j["ups_alarm"] = {{"added", n.ups_alarm->added},
                      {"id", n.ups_alarm->id},
                      {"well_known", n.ups_alarm->well_known},
                      {"since_ms", n.ups_alarm->since_ms}};
  }
  return j.dump();
}

Notification notification_from_json(const std::string& text) {
  const auto j = json::parse(text);
  Notification n;
  n.recipient = j.at("recipient").get<std::string>();
  n.tier = j.at("tier").get<int>();
  n.group = j.at("group").get<std::string>();
  n.reason = static_cast<Reason>(j.at("reason").get<int>());
  for (const auto& a : j.at("alarms")) n.alarms.push_back(alarm_from(a));
  n.time_ms = j.at("time_ms").get<std::int64_t>();
  n.subject = j.at("subject").get<std::string>();
  n.text = j.at("text").get<std::string>();
  n.html = j.at("html").get<std::string>();
  n.test = j.at("test").get<bool>();
  n.message_id = j.at("message_id").get<std::string>();
  n.late = j.at("late").get<bool>();
  if (const auto u = j.find("ups_alarm"); u != j.end()) {
    n.ups_alarm = UpsAlarmNotice{u->at("added").get<bool>(), u->at("id").get<std::uint32_t>(),
                                 u->at("well_known").get<std::uint32_t>(),
                                 u->at("since_ms").get<std::int64_t>()};
  }
  return n;
}

std::string new_message_id() {
  // Seeded once per process from the system's entropy: ids of two runs do not repeat.
  static std::mutex mutex;
  static std::mt19937_64 random{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                std::random_device{}()};
  std::lock_guard lock(mutex);
  return fmt::format("btms-{:016x}", random());
}

struct Outbox::Impl {
  SqliteHandle db;
  explicit Impl(const std::string& path) : db(path) {}
};

Outbox::Outbox(const std::filesystem::path& file) {
  try {
    impl_ = std::make_unique<Impl>(file.string());
    // A write per message on the notifier's thread: in WAL mode with synchronous=NORMAL a
    // commit does not wait for the disk (about 15 ms per message in rollback mode here, 2 s
    // for a storm's 160). A killed process loses nothing committed; a power cut may lose the
    // newest messages, whose alarms are told again after the restart anyway.
    try {
      impl_->db.exec("PRAGMA journal_mode=WAL");
      impl_->db.exec("PRAGMA synchronous=NORMAL");
    } catch (const std::exception& e) {
      spdlog::warn("notify: outbox {} stays in rollback mode (slower writes): {}", file.string(),
                   e.what());
    }
    ops::migrate_schema(impl_->db.get(), notify_db_schema(file.string()));
  } catch (const ops::SchemaTooNewError&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("notification outbox {}: {}", file.string(), e.what()));
  }
}

Outbox::~Outbox() = default;

std::uint64_t Outbox::keep(const Notification& n, std::int64_t queued_ms) {
  std::lock_guard lock(mutex_);
  SqliteStatement insert(impl_->db,
                         "INSERT INTO outbox(recipient, message_id, queued_ms, attempts_done, "
                         "message) VALUES(?,?,?,0,?)");
  insert.bind(1, n.recipient)
      .bind(2, n.message_id)
      .bind(3, queued_ms)
      .bind(4, notification_json(n));
  insert.run();
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(impl_->db.get()));
}

void Outbox::tried(std::uint64_t row, int attempts_done) {
  std::lock_guard lock(mutex_);
  SqliteStatement update(impl_->db, "UPDATE outbox SET attempts_done = ? WHERE id = ?");
  update.bind(1, static_cast<std::int64_t>(attempts_done))
      .bind(2, static_cast<std::int64_t>(row))
      .run();
}

void Outbox::remove(std::uint64_t row) {
  std::lock_guard lock(mutex_);
  SqliteStatement erase(impl_->db, "DELETE FROM outbox WHERE id = ?");
  erase.bind(1, static_cast<std::int64_t>(row)).run();
}

std::vector<UnsentMessage> Outbox::unsent() const {
  std::lock_guard lock(mutex_);
  SqliteStatement select(impl_->db,
                         "SELECT id, queued_ms, attempts_done, message FROM outbox ORDER BY id");
  std::vector<UnsentMessage> out;
  while (select.step()) {
    UnsentMessage m;
    m.row = static_cast<std::uint64_t>(select.column_int64(0));
    m.queued_ms = select.column_int64(1);
    m.attempts_done = static_cast<int>(select.column_int64(2));
    try {
      m.message = notification_from_json(select.column_text(3));
    } catch (const std::exception& e) {
      // A row this version cannot read is reported and left alone, never half-sent.
      spdlog::error("notify: outbox row {} unreadable, not sent: {}", m.row, e.what());
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::size_t Outbox::size() const {
  std::lock_guard lock(mutex_);
  SqliteStatement select(impl_->db, "SELECT COUNT(*) FROM outbox");
  return select.step() ? static_cast<std::size_t>(select.column_int64(0)) : 0;
}

}  // namespace btms::notify
