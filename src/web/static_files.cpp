#include "web/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

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

Response serve_static(const std::string& static_dir, const std::string& decoded_path) {
  if (has_unsafe_segment(decoded_path)) return json_error(400, "path not allowed");
  std::string rel = decoded_path;
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);

  if (static_dir.empty()) {
    if (rel != "index.html") return json_error(404, "no such resource: " + decoded_path);
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(kPlaceholderPage);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }

  std::error_code ec;
  const auto root = fs::canonical(static_dir, ec);
  if (ec) return json_error(404, "no such resource: " + decoded_path);
  auto file = fs::weakly_canonical(root / rel, ec);
  if (ec) return json_error(404, "no such resource: " + decoded_path);
  // Symlinks may still point outside; compare the resolved path against the root.
  const auto [root_end, file_it] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (root_end != root.end()) return json_error(404, "no such resource: " + decoded_path);
  if (fs::is_directory(file, ec)) file /= "index.html";
  if (!fs::is_regular_file(file, ec)) return json_error(404, "no such resource: " + decoded_path);
  const auto size = fs::file_size(file, ec);
  if (ec || size > kMaxStaticFile_bytes)
    return json_error(404, "no such resource: " + decoded_path);
  std::ifstream in(file, std::ios::binary);
  if (!in) return json_error(404, "no such resource: " + decoded_path);
  std::ostringstream content;
  content << in.rdbuf();

  Response r;
  const auto name = file.filename().string();
  r.content_type = std::string(content_type_for(name));
  r.body = std::move(content).str();
  // Vite puts content-hashed files under assets/: they never change under the same name.
  // Everything else (index.html above all) must be revalidated so an update shows at once.
  const bool hashed_asset = rel.starts_with("assets/");
  r.headers.emplace_back("Cache-Control",
                         hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

void add_static_route(Router& router, std::string static_dir) {
  router.add(Route{"/*",
                   {"GET"},
                   Role::anonymous,
                   [dir = std::move(static_dir)](const Request&, const ParsedTarget& target) {
                     return serve_static(dir, target.path);
                   }});
}

}  // namespace btms::web
