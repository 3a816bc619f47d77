// Serves the built web UI from a directory at "/" (index.html for "/"), or a small built-in
// page when no directory is configured. Paths that try to leave the directory are refused.
// Each file is read once and kept while its size and modification time stay the same; text
// assets (html, js, css, svg, json, ...) are gzip-compressed once at that point and sent with
// Content-Encoding: gzip to clients that accept it. A strong ETag per representation lets
// browsers revalidate with If-None-Match (304).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "web/router.hpp"

namespace btms::web {

// Content-Type for a file name by its extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view file_name);
// True for the types worth gzip-compressing (text, JSON, SVG); images and fonts are already
// compressed.
bool is_compressible_type(std::string_view content_type);

class StaticFiles {
 public:
  explicit StaticFiles(std::string static_dir);  // empty = the built-in placeholder page

  // Answers GET for a decoded request path; reads Accept-Encoding and If-None-Match.
  Response serve(const Request& request, const std::string& decoded_path);

 private:
  struct File {
    std::filesystem::file_time_type modified;
    std::uintmax_t size_bytes = 0;
    std::string body;
    std::string gzip_body;  // empty when not compressible or not smaller
    std::string etag;       // quoted; the gzip representation's is etag_gzip
    std::string etag_gzip;
  };
  std::shared_ptr<const File> load(const std::filesystem::path& path,
                                   std::filesystem::file_time_type modified,
                                   std::uintmax_t size_bytes, bool compressible);

  std::string static_dir_;
  std::mutex mutex_;  // io threads share the cache
  std::unordered_map<std::string, std::shared_ptr<const File>> cache_;
  std::size_t cached_bytes_ = 0;
};

// Adds the "/*" route (last resort after the API routes).
void add_static_route(Router& router, std::string static_dir);

}  // namespace btms::web
