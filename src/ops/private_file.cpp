#include "ops/private_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace btms::ops {
namespace {

std::string system_error(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

// Writes all of `text` to fd; false on an error (errno set).
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

std::string write_private_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return system_error("cannot write " + temp);
  // A temp file left by an earlier crash keeps its old mode through O_CREAT: set it.
  const bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
  auto error = written ? std::string() : system_error("cannot write " + temp);
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return error;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    auto reason = system_error("cannot replace " + path);
    ::unlink(temp.c_str());
    return reason;
  }
  sync_folder(path);
  return {};
}

std::string remove_file_durably(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("cannot remove " + path);
  sync_folder(path);
  return {};
}

}  // namespace btms::ops
