// The delivery log's SQLite file (notify.db): one row per try (notify_db_schema).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "notify/delivery_log.hpp"

namespace btms::notify {

class DeliveryFile {
 public:
  // Opens or creates the file and drops rows beyond the newest `keep_rows`.
  DeliveryFile(const std::filesystem::path& file, std::size_t keep_rows);
  ~DeliveryFile();
  DeliveryFile(const DeliveryFile&) = delete;
  DeliveryFile& operator=(const DeliveryFile&) = delete;

  void append(const Delivery& delivery);
  // Oldest first, the newest `limit` rows.
  std::vector<Delivery> newest(std::size_t limit) const;
  std::uint64_t count(DeliveryResult result) const;
  std::uint64_t last_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::notify
