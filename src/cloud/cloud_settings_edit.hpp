// Editing the cloud link's settings from the settings page: which fields may be edited, how a
// request's values are checked (each bad value refused with its field and reason, never fixed
// up), and the settings the link runs with: the site file's (with --mqtt) overridden field by
// field by the edits saved in the data folder.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/cloud_config.hpp"

namespace btms::cloud {

// The fields the settings page edits, in the order it shows them. "password" is write-only:
// stored, used, never answered.
const std::vector<std::string_view>& editable_fields();
inline constexpr std::string_view kPasswordField = "password";

struct FieldProblem {
  std::string field;  // one of editable_fields(), or "" for the body as a whole
  std::string reason;
};
std::string to_string(const FieldProblem& problem);  // "broker: expected mqtt://..."

// The value of an editable field in `config` as JSON (the broker as its URL, the format as its
// word). The password too: for the store and comparisons, never for an answer.
nlohmann::json field_value(const CloudConfig& config, std::string_view field);

// Whether to look at the files named by ca_file, cert_file and key_file. A request is checked
// with them (a CA file that is not there is refused at once); a gateway's start is not, as the
// site file's values never were (the link then says what is wrong).
enum class FileCheck : bool { skip, check };

// The rules between fields (a link that is on needs a broker; a client certificate needs its
// key; Home Assistant discovery needs the JSON tree) and, with FileCheck::check, that each named
// file is a regular file the gateway can read.
std::optional<FieldProblem> check_settings(const CloudConfig& config, FileCheck files);

// `current` with the request's fields set: a JSON object of editable fields ("password": null or
// absent = keep the current one, "" = none). Unknown fields, wrong types and out-of-range values
// are refused with the field and reason; the rules between fields are not checked here.
std::variant<CloudConfig, FieldProblem> apply_request(const CloudConfig& current,
                                                      const nlohmann::json& request);

// The edits that make `settings` out of `base`: every editable field whose value differs, so a
// value set back to the site file's is no edit any more.
nlohmann::json edits_between(const CloudConfig& base, const CloudConfig& settings);

// base with saved edits applied and the rules checked; the problem names the field.
std::variant<CloudConfig, FieldProblem> apply_edits(const CloudConfig& base,
                                                    const nlohmann::json& edits, FileCheck files);

// What a change does, for the audit log: "broker: 'mqtt://a:1883' -> 'mqtt://b:1883'",
// "password changed" (never a password).
std::vector<std::string> describe_changes(const CloudConfig& before, const CloudConfig& after);

}  // namespace btms::cloud
