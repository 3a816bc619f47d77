// Serves the built web UI from a directory at "/" (index.html for "/"), or a small built-in
// page when no directory is configured. Paths that try to leave the directory are refused.
#pragma once

#include <string>
#include <string_view>

#include "web/router.hpp"

namespace btms::web {

// Content-Type for a file name by its extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view file_name);

// Answers GET for a decoded request path.
Response serve_static(const std::string& static_dir, const std::string& decoded_path);

// Adds the "/*" route (last resort after the API routes).
void add_static_route(Router& router, std::string static_dir);

}  // namespace btms::web
