// One recipient read from a TOML table with the site file's [[notify.recipient]] keys: the site
// file's reader and the settings page's edits (JSON turned into such a table) check a recipient
// with the same rules and the same reasons.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "model/config/config_parser.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

// Every problem goes to `errors` with key `path`.<key>; unknown keys are problems too.
Recipient read_recipient_table(const toml::table& table, const std::string& file,
                               const std::string& path, std::vector<model::ConfigError>& errors);

}  // namespace btms::notify
