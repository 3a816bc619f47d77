#include "ops/tar_archive.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace btms::ops {

namespace {

constexpr std::size_t kBlock = 512;
using Block = std::array<char, kBlock>;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
  // width includes the terminating NUL, as ustar expects.
  const std::string text = fmt::format("{:0{}o}", value, width - 1);
  if (text.size() > width - 1) throw std::runtime_error("tar: value too large for its field");
  std::memcpy(field, text.data(), text.size());
  field[width - 1] = '\0';
}

std::uint64_t get_octal(const char* field, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7') throw std::runtime_error("tar: bad number in a header");
    value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
  }
  return value;
}

unsigned header_checksum(const Block& header) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    // The checksum field itself counts as spaces.
    const bool in_field = i >= 148 && i < 156;
    sum += in_field ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum;
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name.size() < 100 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

TarWriter::TarWriter(const std::filesystem::path& file)
    : path_(file), out_(file, std::ios::binary | std::ios::trunc) {
  if (!out_) throw std::runtime_error(fmt::format("cannot write {}", file.string()));
}

void TarWriter::add_file(const std::string& name, const std::filesystem::path& source,
                         std::int64_t mtime_s) {
  if (!plain_file_name(name)) throw std::runtime_error("tar: not a plain file name: " + name);
  std::ifstream in(source, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", source.string()));
  const auto size = std::filesystem::file_size(source);
  Block header{};
  std::memcpy(header.data(), name.data(), name.size());
  put_octal(&header[100], 8, 0600);
  put_octal(&header[108], 8, 0);
  put_octal(&header[116], 8, 0);
  put_octal(&header[124], 12, size);
  put_octal(&header[136], 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime_s, 0)));
  header[156] = '0';
  std::memcpy(&header[257], "ustar", 6);  // magic with its NUL
  std::memcpy(&header[263], "00", 2);
  put_octal(&header[148], 7, header_checksum(header));
  header[155] = ' ';
  out_.write(header.data(), kBlock);

  std::vector<char> buffer(1 << 16);
  std::uint64_t copied = 0;
  while (copied < size) {
    const auto want =
        static_cast<std::streamsize>(std::min<std::uint64_t>(buffer.size(), size - copied));
    in.read(buffer.data(), want);
    if (in.gcount() != want)
      throw std::runtime_error(fmt::format("{} changed size while archived", source.string()));
    out_.write(buffer.data(), want);
    copied += static_cast<std::uint64_t>(want);
  }
  const std::size_t pad = (kBlock - size % kBlock) % kBlock;
  static const Block zeros{};
  out_.write(zeros.data(), static_cast<std::streamsize>(pad));
  if (!out_) throw std::runtime_error(fmt::format("cannot write {}", path_.string()));
}

void TarWriter::finish() {
  static const Block zeros{};
  out_.write(zeros.data(), kBlock);
  out_.write(zeros.data(), kBlock);
  out_.flush();
  if (!out_) throw std::runtime_error(fmt::format("cannot write {}", path_.string()));
  out_.close();
  // The archive is the only copy once the disk it came from fails: make it reach the disk.
  const int fd = ::open(path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("cannot sync {}", path_.string()));
  }
  ::close(fd);
}

std::vector<TarEntry> extract_tar(const std::filesystem::path& archive,
                                  const std::filesystem::path& folder) {
  std::ifstream in(archive, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", archive.string()));
  std::vector<TarEntry> entries;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    Block header{};
    in.read(header.data(), kBlock);
    if (in.gcount() != static_cast<std::streamsize>(kBlock))
      throw std::runtime_error(archive.string() + ": truncated archive (no end marker)");
    if (std::all_of(header.begin(), header.end(), [](char c) { return c == '\0'; })) break;
    if (get_octal(&header[148], 8) != header_checksum(header))
      throw std::runtime_error(archive.string() + ": damaged archive (header checksum)");
    const std::string name(header.data(), strnlen(header.data(), 100));
    if (!plain_file_name(name))
      throw std::runtime_error(archive.string() + ": refusing entry '" + name +
                               "' (not a plain file name)");
    if (header[156] != '0' && header[156] != '\0')
      throw std::runtime_error(archive.string() + ": refusing entry '" + name +
                               "' (not a regular file)");
    const std::uint64_t size = get_octal(&header[124], 12);
    std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", (folder / name).string()));
    std::uint64_t copied = 0;
    while (copied < size) {
      const auto want =
          static_cast<std::streamsize>(std::min<std::uint64_t>(buffer.size(), size - copied));
      in.read(buffer.data(), want);
      if (in.gcount() != want)
        throw std::runtime_error(archive.string() + ": truncated archive in '" + name + "'");
      out.write(buffer.data(), want);
      copied += static_cast<std::uint64_t>(want);
    }
    out.close();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", (folder / name).string()));
    // Password hashes and the TLS key are among them: owner only, as the gateway keeps them.
    std::filesystem::permissions(
        folder / name, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);
    const std::size_t pad = (kBlock - size % kBlock) % kBlock;
    in.ignore(static_cast<std::streamsize>(pad));
    entries.push_back({name, size});
  }
  return entries;
}

}  // namespace btms::ops
