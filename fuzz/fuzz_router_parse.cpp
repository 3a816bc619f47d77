// Fuzzes the request-target parsing every request goes through before any handler: it must
// never crash, and what it accepts must be consistent (parse_target and parse_query agree on
// the keys, decoding never grows the text, text without escapes decodes to itself).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "web/router.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_router_parse: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace btms::web;

  const auto target = parse_target(text);
  if (target) {
    for (const auto& [key, value] : target->query) {
      (void)key;
      (void)value;
    }
  }
  const auto params = parse_query(text);
  if (params && target) {
    // Both read the same query: every key parse_query lists is in parse_target's map.
    for (const auto& p : *params) {
      if (!target->query.contains(p.key)) fail("parse_query key missing from parse_target");
    }
  }
  for (const bool plus_is_space : {false, true}) {
    const auto decoded = percent_decode(text, plus_is_space);
    if (decoded && decoded->size() > text.size()) fail("decoding made the text longer");
    if (text.find('%') == std::string_view::npos && text.find('+') == std::string_view::npos &&
        decoded && *decoded != text) {
      fail("text without escapes changed when decoded");
    }
  }
  return 0;
}
