#include "app/site_loading.hpp"

#include <iostream>

#include "model/config/config_parser.hpp"
#include "model/config/demo_site.hpp"

namespace btms::app {

std::optional<model::Site> load_site_or_demo(const std::string& config_path) {
  if (config_path.empty()) return model::demo_site();
  auto result = model::parse_config_file(config_path);
  for (const auto& error : result.errors) std::cerr << model::format_error(error) << "\n";
  if (!result.errors.empty()) {
    std::cerr << "btms: " << config_path << " has " << result.errors.size()
              << " error(s); nothing started\n";
    return std::nullopt;
  }
  return std::move(result.site);
}

}  // namespace btms::app
