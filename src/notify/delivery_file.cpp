#include "notify/delivery_file.hpp"

#include <fmt/format.h>

#include <string>

#include "notify/notify_db_schema.hpp"
#include "ops/schema_version.hpp"
#include "security/sqlite_handle.hpp"

namespace btms::notify {
namespace {

using security::detail::SqliteHandle;
using security::detail::SqliteStatement;

ChannelKind channel_of(const std::string& name) {
  for (auto kind : {ChannelKind::mail, ChannelKind::webhook, ChannelKind::snmp}) {
    if (name == channel_name(kind)) return kind;
  }
  throw std::runtime_error("unknown channel '" + name + "' in the delivery log");
}

DeliveryResult result_of(const std::string& name) {
  for (auto result : {DeliveryResult::sent, DeliveryResult::retrying, DeliveryResult::failed}) {
    if (name == result_name(result)) return result;
  }
  throw std::runtime_error("unknown result '" + name + "' in the delivery log");
}

}  // namespace

struct DeliveryFile::Impl {
  SqliteHandle db;
  explicit Impl(const std::string& path) : db(path) {}
};

DeliveryFile::DeliveryFile(const std::filesystem::path& file, std::size_t keep_rows) {
  try {
    impl_ = std::make_unique<Impl>(file.string());
    ops::migrate_schema(impl_->db.get(), notify_db_schema(file.string()));
    SqliteStatement prune(
        impl_->db, "DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ?");
    prune.bind(1, static_cast<std::int64_t>(keep_rows)).run();
  } catch (const ops::SchemaTooNewError&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("delivery log {}: {}", file.string(), e.what()));
  }
}

DeliveryFile::~DeliveryFile() = default;

void DeliveryFile::append(const Delivery& d) {
  SqliteStatement insert(impl_->db,
                         "INSERT INTO deliveries(id, time_ms, recipient, channel, group_key, "
                         "reason, subject, result, detail, attempt) VALUES(?,?,?,?,?,?,?,?,?,?)");
  insert.bind(1, static_cast<std::int64_t>(d.id))
      .bind(2, d.time_ms)
      .bind(3, d.recipient)
      .bind(4, channel_name(d.channel))
      .bind(5, d.group)
      .bind(6, d.reason)
      .bind(7, d.subject)
      .bind(8, result_name(d.result))
      .bind(9, d.detail)
      .bind(10, static_cast<std::int64_t>(d.attempt))
      .run();
}

std::vector<Delivery> DeliveryFile::newest(std::size_t limit) const {
  SqliteStatement select(impl_->db,
                         "SELECT id, time_ms, recipient, channel, group_key, reason, subject, "
                         "result, detail, attempt FROM (SELECT * FROM deliveries ORDER BY id DESC "
                         "LIMIT ?) ORDER BY id");
  select.bind(1, static_cast<std::int64_t>(limit));
  std::vector<Delivery> out;
  while (select.step()) {
    Delivery d;
    d.id = static_cast<std::uint64_t>(select.column_int64(0));
    d.time_ms = select.column_int64(1);
    d.recipient = select.column_text(2);
    d.channel = channel_of(select.column_text(3));
    d.group = select.column_text(4);
    d.reason = select.column_text(5);
    d.subject = select.column_text(6);
    d.result = result_of(select.column_text(7));
    d.detail = select.column_text(8);
    d.attempt = static_cast<int>(select.column_int64(9));
    out.push_back(std::move(d));
  }
  return out;
}

std::uint64_t DeliveryFile::count(DeliveryResult result) const {
  SqliteStatement select(impl_->db, "SELECT COUNT(*) FROM deliveries WHERE result = ?");
  select.bind(1, result_name(result));
  return select.step() ? static_cast<std::uint64_t>(select.column_int64(0)) : 0;
}

std::uint64_t DeliveryFile::last_id() const {
  SqliteStatement select(impl_->db, "SELECT COALESCE(MAX(id), 0) FROM deliveries");
  return select.step() ? static_cast<std::uint64_t>(select.column_int64(0)) : 0;
}

}  // namespace btms::notify
