// The smallest POSIX tar (ustar) this needs: a flat list of regular files, written and read by
// BTMS, readable by any tar (`tar tvf backup.tar`, `tar xf` to look inside by hand). No links,
// folders, long names or special files: a name with '/' or ".." is refused on reading, so a
// crafted archive cannot write outside the folder it is unpacked into.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace btms::ops {

class TarWriter {
 public:
  explicit TarWriter(const std::filesystem::path& file);  // truncates; throws when it cannot
  // Appends `source` under `name` (flat, up to 99 characters), mode 0600.
  void add_file(const std::string& name, const std::filesystem::path& source, std::int64_t mtime_s);
  // Writes the end-of-archive blocks, flushes and fsyncs. Throws on any write error.
  void finish();

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

struct TarEntry {
  std::string name;
  std::uint64_t size = 0;
};

// Unpacks every file of `archive` into `folder` (which must exist). Throws std::runtime_error
// naming the problem for a damaged archive, a name that is not a plain file name, or an entry
// that is not a regular file.
std::vector<TarEntry> extract_tar(const std::filesystem::path& archive,
                                  const std::filesystem::path& folder);

}  // namespace btms::ops
