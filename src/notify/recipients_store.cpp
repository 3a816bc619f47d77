#include "notify/recipients_store.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "notify/recipients_edit.hpp"
#include "ops/private_file.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;

constexpr const char* kVersionKey = "recipients_version";
constexpr const char* kListKey = "recipients";

}  // namespace

std::string recipients_store_path(const std::string& data_dir) {
  return data_dir + "/notify-recipients.json";
}

std::optional<std::vector<Recipient>> load_edited_recipients(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::nullopt;
    throw std::runtime_error(path + ": cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto document = json::parse(text.str(), nullptr, false);
  if (!document.is_object() || !document.contains(kVersionKey) ||
      !document[kVersionKey].is_number_integer() || !document.contains(kListKey)) {
    throw std::runtime_error(fmt::format(
        "{}: not the recipient list the settings page saves (expected {{\"{}\": {}, \"{}\": "
        "[...]}}); fix or remove it (the site file's recipients are used without it)",
        path, kVersionKey, kRecipientsFileVersion, kListKey));
  }
  const auto version = document[kVersionKey].get<std::int64_t>();
  if (version > kRecipientsFileVersion) {
    throw std::runtime_error(fmt::format(
        "{}: saved by a newer BTMS ({} {}, this one knows up to {}); install that version again "
        "or restore a backup made by this one",
        path, kVersionKey, version, kRecipientsFileVersion));
  }
  // The file holds every secret: checked as an edit with nothing to keep from.
  auto edit = recipients_from_json(document[kListKey], {});
  if (!edit.ok()) {
    throw std::runtime_error(fmt::format("{}: {}: {}", path, edit.field, edit.error));
  }
  return std::move(edit.recipients);
}

std::string save_edited_recipients(const std::string& path,
                                   const std::vector<Recipient>& recipients) {
  json list = json::array();
  for (const auto& r : recipients) list.push_back(recipient_json(r, true));
  const json document{{kVersionKey, kRecipientsFileVersion}, {kListKey, std::move(list)}};
  return ops::write_private_file_atomically(path, document.dump(2) + "\n");
}

std::string remove_edited_recipients(const std::string& path) {
  return ops::remove_file_durably(path);
}

}  // namespace btms::notify
