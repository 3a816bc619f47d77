#include "model/ids.hpp"

#include <charconv>

#include "model/topology.hpp"

namespace btms::model {

namespace {

std::string slash_to_space(std::string_view rest) {
  std::string out(rest);
  for (auto& c : out) {
    if (c == '/') c = ' ';
  }
  return out;
}

}  // namespace

std::string source_label(std::string_view source) {
  if (source.starts_with("battery/")) return "Battery " + std::string(source.substr(8));
  if (source.starts_with("string/")) return "String " + std::string(source.substr(7));
  if (source.starts_with("ups/")) return "UPS " + std::string(source.substr(4));
  if (source.starts_with("mc/")) return "MC " + slash_to_space(source.substr(3));
  if (source.starts_with("lc/")) return "LC " + slash_to_space(source.substr(3));
  if (source == "mc") return "Master controller";
  return std::string(source);
}

std::string ups_id(int ups) {
  return "ups/" + std::to_string(ups);
}
std::string string_id(int string) {
  return "string/" + std::to_string(string);
}
std::string battery_id(int string, int position) {
  return "battery/" + std::to_string(string) + "/" + std::to_string(position);
}
std::string ambient_id(int th_index) {
  return "ambient/" + std::to_string(th_index);
}

std::string channel_name(std::string_view id, std::string_view quantity) {
  std::string name(id);
  name += '/';
  name += quantity;
  return name;
}

namespace {
// Parses a positive decimal number that fills the whole of `text`.
std::optional<int> parse_positive(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value <= 0 || text.empty() || text[0] == '0') {
    return std::nullopt;
  }
  return value;
}
}  // namespace

std::optional<ParsedBatteryId> parse_battery_id(std::string_view id) {
  constexpr std::string_view prefix = "battery/";
  if (!id.starts_with(prefix)) return std::nullopt;
  id.remove_prefix(prefix.size());
  const auto slash = id.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto string = parse_positive(id.substr(0, slash));
  auto position = parse_positive(id.substr(slash + 1));
  if (!string || !position || *string > kMaxStringsPerGateway ||
      *position > kMaxBatteriesPerString) {
    return std::nullopt;
  }
  return ParsedBatteryId{*string, *position};
}

}  // namespace btms::model
