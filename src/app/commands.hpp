// Each subcommand registers its CLI11 options and the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace btms::app {

// Collects the action of the subcommand that was chosen on the command line.
class Registry {
 public:
  void set_action(std::function<int()> action) { action_ = std::move(action); }
  int run() const { return action_ ? action_() : 2; }

 private:
  std::function<int()> action_;
};

void register_docs(CLI::App& app, Registry& registry);
void register_config(CLI::App& app, Registry& registry);
void register_demo(CLI::App& app, Registry& registry);
void register_sim(CLI::App& app, Registry& registry);
void register_gateway(CLI::App& app, Registry& registry);
void register_scan(CLI::App& app, Registry& registry);
void register_user(CLI::App& app, Registry& registry);
void register_token(CLI::App& app, Registry& registry);
void register_hmi(CLI::App& app, Registry& registry);
void register_backup(CLI::App& app, Registry& registry);

void block_stop_signals();

// --data-dir "" would put the databases into the working directory: refused.
inline std::string non_empty_folder(const std::string& value) {
  return value.empty() ? std::string(
                             "must name a folder (an empty path would write into the "
                             "working directory)")
                       : std::string();
}

}  // namespace btms::app
