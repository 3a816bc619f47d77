// The cloud link's side of the settings page's API (the web part only routes to it):
// the settings as the page shows them, never the password, and the connection test.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cloud/cloud_config.hpp"
#include "cloud/cloud_link.hpp"

namespace btms::cloud {

// mqtt://host:port or mqtts://host:port ([host] for IPv6).
std::string broker_url(const BrokerAddress& broker);

// Every editable field (cloud_settings_edit.hpp) but the password, which is write-only (only
// "password_set"), and "tls", "topics", "link":{connected,last_error,...}; "sources": for each
// editable field "site file" or "edited" (edits: the saved edits); "editable": whether a change
// can be saved (the gateway has a data folder); "edited": whether any field is edited.
std::string settings_json(const CloudConfig& config, const std::optional<CloudHealth>& health,
                          const nlohmann::json& edits = nlohmann::json::object(),
                          bool editable = false);

// The settings a connection test uses: `current` with what the request body gives (the fields
// of a PUT: the form's values, saved or not), every value checked as a PUT checks it. The stored
// password (and client certificate) go only to the configured broker: a test against another
// host must bring its own password. nullopt and the reason in *error for a bad body.
std::optional<CloudConfig> settings_to_test(const CloudConfig& current, const std::string& body,
                                            std::string* error);

// HTTP status and JSON body of POST /api/v1/cloud/test: 200 {"ok","outcome","detail",
// "elapsed_ms","broker"} (ok false with the reason is still 200: the test ran), 400 for a bad
// body.
std::pair<int, std::string> connection_test_response(const CloudConfig& current,
                                                     const std::string& body);

}  // namespace btms::cloud
