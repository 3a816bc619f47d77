// gzip (RFC 1952) of in-memory bodies with zlib, for static files served with
// Content-Encoding: gzip, and the Accept-Encoding check that decides when that is allowed.
#pragma once

#include <string>
#include <string_view>

namespace btms::web {

// The gzip stream of data at the best compression level (done once per file, so the CPU
// spent is paid once). Throws std::runtime_error when zlib fails.
std::string gzip_compress(std::string_view data);

// True when an Accept-Encoding header value allows gzip: "gzip" or "*" listed without q=0
// (RFC 9110 12.5.3). "gzip;q=0" and a missing header refuse it.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace btms::web
