// Fuzzes what a WebSocket client may send on /api/v1/stream (web/stream_differ.hpp,
// parse_stream_request): any text gives either a subscription of valid channel prefixes (and a
// catch-up time that is not negative) or a reason to send back, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "web/api_handlers.hpp"
#include "web/stream_differ.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = btms::web::parse_stream_request(text);
  if (const auto* request = std::get_if<btms::web::StreamRequest>(&parsed)) {
    for (const auto& prefix : request->prefixes) {
      if (!btms::web::is_valid_channel_prefix(prefix)) {
        std::fprintf(stderr, "fuzz_ws_messages: accepted an invalid prefix '%s'\n", prefix.c_str());
        std::abort();
      }
    }
    if (request->events_since_ms && *request->events_since_ms < 0) {
      std::fprintf(stderr, "fuzz_ws_messages: accepted a negative events_since_ms\n");
      std::abort();
    }
  } else if (std::get<std::string>(parsed).empty()) {
    std::fprintf(stderr, "fuzz_ws_messages: refused without a reason\n");
    std::abort();
  }
  return 0;
}
