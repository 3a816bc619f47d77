#include "web/static_files.hpp"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "web/gzip.hpp"

namespace btms::web {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPlaceholderPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BTMS gateway</title></head>
<body><h1>BTMS gateway is running</h1>
<p>The web UI is not installed on this gateway. Live values: <a href="/api/v1/live">/api/v1/live</a>,
health: <a href="/api/v1/health">/api/v1/health</a>, metrics: <a href="/metrics">/metrics</a>.</p>
</body></html>
)";

// Files larger than this are not served from memory (the built UI is a few hundred KiB).
constexpr std::uintmax_t kMaxStaticFile_bytes = 32 * 1024 * 1024;
// Files stay cached (with their gzip form) up to this total; beyond it they are read per
// request and sent uncompressed, so a huge static directory cannot exhaust memory.
constexpr std::size_t kMaxCache_bytes = 64 * 1024 * 1024;

// True when If-None-Match lists etag (or is "*"). Weak comparison (RFC 9110 13.1.2): a W/
// prefix on either side is ignored.
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.find('*') != std::string_view::npos) return true;
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    if_none_match =
        comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

std::string header_of(const Request& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string{} : it->second;
}

bool has_unsafe_segment(std::string_view path) {
  if (path.find('\\') != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = path.find('/', start);
    const auto segment =
        path.substr(start, end == std::string_view::npos ? path.npos : end - start);
    if (segment == ".." || segment == ".") return true;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  struct Entry {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
  };
  for (const auto& e : kTypes) {
    if (file_name.ends_with(e.ext)) return e.type;
  }
  return "application/octet-stream";
}

bool is_compressible_type(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
         content_type.starts_with("image/svg+xml") ||
         content_type.starts_with("application/manifest+json");
}

StaticFiles::StaticFiles(std::string static_dir) : static_dir_(std::move(static_dir)) {}

std::shared_ptr<const StaticFiles::File> StaticFiles::load(const fs::path& path,
                                                           fs::file_time_type modified,
                                                           std::uintmax_t size_bytes,
                                                           bool compressible) {
  const auto key = path.string();
  {
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end() && it->second->modified == modified &&
        it->second->size_bytes == size_bytes) {
      return it->second;
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream content;
  content << in.rdbuf();
  auto file = std::make_shared<File>();
  file->modified = modified;
  file->body = std::move(content).str();
  file->size_bytes = file->body.size();
  // Strong validator from the content itself: a rebuilt but identical file keeps its ETag.
  const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(file->body.data()),
                         static_cast<uInt>(file->body.size()));
  file->etag = fmt::format("\"{:x}-{:08x}\"", file->body.size(), crc);
  if (compressible) {
    auto packed = gzip_compress(file->body);
    if (packed.size() < file->body.size()) {
      file->gzip_body = std::move(packed);
      file->etag_gzip = fmt::format("\"{:x}-{:08x}-gz\"", file->body.size(), crc);
    }
  }
  std::lock_guard lock(mutex_);
  auto& slot = cache_[key];
  if (slot) cached_bytes_ -= slot->body.size() + slot->gzip_body.size();
  slot.reset();
  const std::size_t bytes = file->body.size() + file->gzip_body.size();
  if (cached_bytes_ + bytes <= kMaxCache_bytes) {
    slot = file;
    cached_bytes_ += bytes;
  } else {
    cache_.erase(key);
  }
  return file;
}

Response StaticFiles::serve(const Request& request, const std::string& decoded_path) {
  if (has_unsafe_segment(decoded_path)) return json_error(400, "path not allowed");
  std::string rel = decoded_path;
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);

  if (static_dir_.empty()) {
    if (rel != "index.html") return json_error(404, "no such resource: " + decoded_path);
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(kPlaceholderPage);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }

  std::error_code ec;
  const auto root = fs::canonical(static_dir_, ec);
  if (ec) return json_error(404, "no such resource: " + decoded_path);
  auto path = fs::weakly_canonical(root / rel, ec);
  if (ec) return json_error(404, "no such resource: " + decoded_path);
  // Symlinks may still point outside; compare the resolved path against the root.
  const auto [root_end, file_it] =
      std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (root_end != root.end()) return json_error(404, "no such resource: " + decoded_path);
  if (fs::is_directory(path, ec)) path /= "index.html";
  if (!fs::is_regular_file(path, ec)) return json_error(404, "no such resource: " + decoded_path);
  const auto size = fs::file_size(path, ec);
  if (ec || size > kMaxStaticFile_bytes)
    return json_error(404, "no such resource: " + decoded_path);
  const auto modified = fs::last_write_time(path, ec);
  if (ec) return json_error(404, "no such resource: " + decoded_path);

  const auto type = content_type_for(path.filename().string());
  const bool compressible = is_compressible_type(type);
  const auto file = load(path, modified, size, compressible);
  if (!file) return json_error(404, "no such resource: " + decoded_path);

  const bool gzip = !file->gzip_body.empty() && accepts_gzip(header_of(request, "accept-encoding"));
  const auto& etag = gzip ? file->etag_gzip : file->etag;
  Response r;
  r.content_type = std::string(type);
  // Vite puts content-hashed files under assets/: they never change under the same name.
  // Everything else (index.html above all) must be revalidated so an update shows at once.
  const bool hashed_asset = rel.starts_with("assets/");
  r.headers.emplace_back("Cache-Control",
                         hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("ETag", etag);
  // Caches must key the compressed and the plain body apart.
  if (compressible) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(header_of(request, "if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  if (gzip) {
    r.body = file->gzip_body;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = file->body;
  }
  return r;
}

void add_static_route(Router& router, std::string static_dir) {
  auto files = std::make_shared<StaticFiles>(std::move(static_dir));
  router.add(Route{
      "/*", {"GET"}, Role::anonymous, [files](const Request& request, const ParsedTarget& target) {
        return files->serve(request, target.path);
      }});
}

}  // namespace btms::web
