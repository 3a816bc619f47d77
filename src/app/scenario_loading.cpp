#include "app/scenario_loading.hpp"

#include <iostream>

namespace btms::app {

bool load_scenario(const std::string& path, const model::Site& site,
                   std::shared_ptr<const plant::Scenario>& scenario) {
  scenario.reset();
  if (path.empty()) return true;
  auto result = plant::parse_scenario_file(path, site);
  for (const auto& e : result.errors) {
    std::cerr << e.file << ":" << e.line << ": " << e.reason << "\n";
  }
  if (!result.ok()) {
    std::cerr << "btms: " << path << " has " << result.errors.size()
              << " error(s); nothing started\n";
    return false;
  }
  scenario = std::make_shared<const plant::Scenario>(std::move(*result.scenario));
  return true;
}

}  // namespace btms::app
