// Fuzzes what a WebSocket client may send on /api/v1/stream (web/stream_differ.hpp,
// parse_stream_request): any text gives either a subscription of valid channel prefixes or a
// reason to send back, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "web/api_handlers.hpp"
#include "web/stream_differ.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = btms::web::parse_stream_request(text);
  if (const auto* prefixes = std::get_if<std::vector<std::string>>(&parsed)) {
    for (const auto& prefix : *prefixes) {
      if (!btms::web::is_valid_channel_prefix(prefix)) {
        std::fprintf(stderr, "fuzz_ws_messages: accepted an invalid prefix '%s'\n", prefix.c_str());
        std::abort();
      }
    }
  } else if (std::get<std::string>(parsed).empty()) {
    std::fprintf(stderr, "fuzz_ws_messages: refused without a reason\n");
    std::abort();
  }
  return 0;
}
