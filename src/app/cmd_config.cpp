// btms config check FILE: validates a site configuration; every error with file, line, key.
#include <iostream>

#include "app/commands.hpp"
#include "cloud/cloud_config.hpp"
#include "engine/engine_config_store.hpp"
#include "model/config/config_parser.hpp"
#include "notify/notify_config.hpp"

namespace btms::app {

void register_config(CLI::App& app, Registry& registry) {
  auto* config = app.add_subcommand("config", "Work with site configuration files");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check",
      "Validate a site configuration: prints a summary and exits 0, or lists every "
      "error (file:line: key: reason) and exits 1");
  auto file = std::make_shared<std::string>();
  check->add_option("FILE", *file, "Site configuration (TOML)")->required();
  check->callback([&registry, file] {
    registry.set_action([file] {
      const auto result = model::parse_config_file(*file);
      if (!result.errors.empty()) {
        for (const auto& error : result.errors) std::cerr << model::format_error(error) << "\n";
        std::cerr << result.errors.size() << " error(s) in " << *file << "\n";
        return 1;
      }
      // The [limits] tables belong to the engine; their problems are printed as they are found.
      if (!engine::load_engine_config(*result.site, *file, "", std::cerr)) {
        std::cerr << "errors in the [limits] tables of " << *file << "\n";
        return 1;
      }
      const auto notify_settings = notify::load_notify_settings(*file, std::cerr);
      if (!notify_settings) return 1;
      // So is [cloud] to the cloud link.
      std::vector<std::string> cloud_errors;
      if (!cloud::load_cloud_config(*file, result.site->name, "", &cloud_errors)) {
        for (const auto& e : cloud_errors) std::cerr << e << "\n";
        std::cerr << "errors in the [cloud] table of " << *file << "\n";
        return 1;
      }
      std::cout << model::summarize(*result.site);
      if (notify_settings->enabled)
        std::cout << "Notifications: " << notify_settings->recipients.size() << " recipient(s)\n";
      std::cout << *file << ": OK\n";
      return 0;
    });
  });
}

}  // namespace btms::app
