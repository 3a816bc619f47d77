#include "notify/recipients_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "notify/recipients_edit.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;

constexpr const char* kVersionKey = "recipients_version";
constexpr const char* kListKey = "recipients";

std::string system_error(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// A rename or unlink is durable only once the folder's entry is on disk too.
void sync_folder(const std::string& path) {
  const auto folder = std::filesystem::path(path).parent_path();
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

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
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return system_error("cannot write " + temp);
  // A temp file left by an earlier crash keeps its old mode through O_CREAT: set it.
  const bool written =
      ::fchmod(fd, 0600) == 0 && write_all(fd, document.dump(2) + "\n") && ::fsync(fd) == 0;
  const auto error = written ? std::string() : system_error("cannot write " + temp);
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return error;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const auto reason = system_error("cannot replace " + path);
    ::unlink(temp.c_str());
    return reason;
  }
  sync_folder(path);
  return {};
}

std::string remove_edited_recipients(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("cannot remove " + path);
  sync_folder(path);
  return {};
}

}  // namespace btms::notify
