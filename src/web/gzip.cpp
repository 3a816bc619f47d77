#include "web/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace btms::web {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// q=0, q=0.0, q=0.000 mean "not acceptable"; anything else (or no q) means acceptable.
bool q_is_zero(std::string_view params) {
  while (!params.empty()) {
    const auto semicolon = params.find(';');
    auto param = trim(params.substr(0, semicolon));
    params =
        semicolon == std::string_view::npos ? std::string_view{} : params.substr(semicolon + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      continue;
    }
    const auto value = trim(param.substr(2));
    if (value.empty() || value[0] != '0') return false;
    return std::all_of(value.begin() + 1, value.end(), [](char c) { return c == '.' || c == '0'; });
  }
  return false;
}

}  // namespace

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16 = gzip wrapper instead of zlib; memLevel 9 = fastest at this level.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  // deflateBound guarantees room for everything in one call.
  if (result != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool star = false;
  bool star_refused = false;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const auto item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semicolon = item.find(';');
    const auto coding = trim(item.substr(0, semicolon));
    const auto params =
        semicolon == std::string_view::npos ? std::string_view{} : item.substr(semicolon + 1);
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) return !q_is_zero(params);
    if (coding == "*") {
      star = true;
      star_refused = q_is_zero(params);
    }
  }
  // An explicit gzip entry above wins over "*".
  return star && !star_refused;
}

}  // namespace btms::web
