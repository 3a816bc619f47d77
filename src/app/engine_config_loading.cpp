#include "app/engine_config_loading.hpp"

#include <iostream>

#include "engine/engine_config_store.hpp"

namespace btms::app {

// The loading itself lives in src/engine (engine_config_store.*), beside the saving.
std::optional<engine::EngineConfig> load_engine_config(const model::Site& site,
                                                       const std::string& site_file,
                                                       const std::string& data_dir) {
  return engine::load_engine_config(
      site, site_file, data_dir.empty() ? std::string() : engine::saved_config_path(data_dir),
      std::cerr);
}

}  // namespace btms::app
