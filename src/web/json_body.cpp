#include "web/json_body.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace btms::web {

std::variant<nlohmann::json, std::string> parse_object_body(
    std::string_view body, std::size_t max_bytes, std::initializer_list<std::string_view> allowed) {
  if (body.size() > max_bytes) {
    return fmt::format("body too large: {} bytes, at most {}", body.size(), max_bytes);
  }
  if (body.empty()) return std::string("empty body: a JSON object is required");
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e309
    // nlohmann's message names the byte offset and what it expected there.
    return fmt::format("malformed JSON: {}", e.what());
  }
  if (!parsed.is_object()) return std::string("body must be a JSON object");
  for (const auto& [key, value] : parsed.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (const auto name : allowed) known += (known.empty() ? "" : ", ") + std::string(name);
      return fmt::format("unknown field '{}' (known: {})", key, known);
    }
  }
  return parsed;
}

std::size_t utf8_length(std::string_view text) {
  // Continuation bytes (10xxxxxx) do not start a code point.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::optional<std::string> read_text_member(const nlohmann::json& object, std::string_view name,
                                            bool required, std::size_t min_chars,
                                            std::size_t max_chars, std::string& out) {
  const auto it = object.find(name);
  if (it == object.end()) {
    if (required) return fmt::format("'{}' is required", name);
    return std::nullopt;
  }
  if (!it->is_string()) return fmt::format("'{}' must be a string", name);
  const auto& text = it->get_ref<const std::string&>();
  const auto length = utf8_length(text);
  if (length < min_chars || length > max_chars) {
    return fmt::format("'{}' must have {}..{} characters, has {}", name, min_chars, max_chars,
                       length);
  }
  out = text;
  return std::nullopt;
}

std::optional<std::string> read_int_member(const nlohmann::json& object, std::string_view name,
                                           bool required, std::int64_t min, std::int64_t max,
                                           std::int64_t& out) {
  const auto it = object.find(name);
  if (it == object.end()) {
    if (required) return fmt::format("'{}' is required", name);
    return std::nullopt;
  }
  if (!it->is_number_integer()) return fmt::format("'{}' must be an integer", name);
  // Unsigned values above int64 range are refused as out of range, not wrapped.
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    return fmt::format("'{}' must be {}..{}", name, min, max);
  }
  const auto value = it->get<std::int64_t>();
  if (value < min || value > max) return fmt::format("'{}' must be {}..{}", name, min, max);
  out = value;
  return std::nullopt;
}

Response no_store_json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response no_store_error(int status, std::string_view reason) {
  auto r = json_error(status, reason);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace btms::web
