// Fuzzes the engine settings document (PUT /api/v1/config, engine/config_fields.hpp): any
// JSON must either be refused with ConfigValidationError or give a configuration that
// survives its own round trip (config_to_json -> config_from_json gives the same document).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/config_fields.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;
  const btms::engine::EngineConfig base{};
  btms::engine::EngineConfig config;
  try {
    config = btms::engine::config_from_json(document, base);
  } catch (const btms::engine::ConfigValidationError& e) {
    if (e.problems().empty()) {
      std::fprintf(stderr, "fuzz_engine_config: validation error without a problem\n");
      std::abort();
    }
    return 0;
  }
  const auto written = btms::engine::config_to_json(config);
  nlohmann::json rewritten;
  try {
    rewritten = btms::engine::config_to_json(btms::engine::config_from_json(written, base));
  } catch (const btms::engine::ConfigValidationError& e) {
    std::fprintf(stderr, "fuzz_engine_config: accepted config refused on re-read: %s\n", e.what());
    std::abort();
  }
  if (rewritten != written) {
    std::fprintf(stderr, "fuzz_engine_config: round trip changed the document\n%s\n%s\n",
                 written.dump().c_str(), rewritten.dump().c_str());
    std::abort();
  }
  return 0;
}
