// Fuzzes the site configuration parser (model/config/config_parser.hpp): any text gives a site
// or at least one error with a reason, never both and never a crash; an accepted site parses
// again from the same text to the same summary.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "model/config/config_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = btms::model::parse_config_string(text, "fuzz.toml");
  if (result.site.has_value() == !result.errors.empty()) {
    std::fprintf(stderr, "fuzz_site_toml: a site and errors, or neither\n");
    std::abort();
  }
  for (const auto& e : result.errors) {
    if (e.reason.empty()) {
      std::fprintf(stderr, "fuzz_site_toml: an error without a reason\n");
      std::abort();
    }
  }
  if (result.site) {
    const auto again = btms::model::parse_config_string(text, "fuzz.toml");
    if (!again.site ||
        btms::model::summarize(*again.site) != btms::model::summarize(*result.site)) {
      std::fprintf(stderr, "fuzz_site_toml: the same text parsed differently\n");
      std::abort();
    }
  }
  return 0;
}
