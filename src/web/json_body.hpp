// Strict JSON request bodies for the state-changing endpoints: one object, only the members the
// endpoint knows, each of the expected type and size. Anything else is refused with a reason
// the client can act on (the handler answers 400), and nothing is changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "web/http_types.hpp"

namespace btms::web {

// The body as a JSON object, or the reason when it is empty, larger than max_bytes, not JSON,
// not an object, or has a member that is not in `allowed`.
std::variant<nlohmann::json, std::string> parse_object_body(
    std::string_view body, std::size_t max_bytes, std::initializer_list<std::string_view> allowed);

// A JSON answer no cache may keep: alarm states, sessions, accounts and settings change at any
// moment. Invalid UTF-8 in strings is replaced, never thrown.
Response no_store_json(int status, const nlohmann::json& body);
// {"error": reason} with Cache-Control: no-store.
Response no_store_error(int status, std::string_view reason);

// Unicode code points of valid UTF-8 text (what a user counts as characters).
std::size_t utf8_length(std::string_view text);

// Reads member `name` of `object` into `out`. Returns the reason when it is missing although
// required, not a string, or outside min_chars..max_chars; nullopt when fine (out untouched when
// absent and optional).
std::optional<std::string> read_text_member(const nlohmann::json& object, std::string_view name,
                                            bool required, std::size_t min_chars,
                                            std::size_t max_chars, std::string& out);

// Same for an integer member (a JSON integer, not 7.0, not "7", not true) in min..max.
std::optional<std::string> read_int_member(const nlohmann::json& object, std::string_view name,
                                           bool required, std::int64_t min, std::int64_t max,
                                           std::int64_t& out);

}  // namespace btms::web
