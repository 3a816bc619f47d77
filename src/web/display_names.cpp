#include "web/display_names.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace btms::web {

DisplayNames::DisplayNames(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  std::ifstream in(path_);
  if (!in) return;  // no names given yet
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) {
    spdlog::warn("web: ignoring malformed display names in {}", path_);
    return;
  }
  for (const auto& [target, name] : j.items()) {
    if (name.is_string() && display_name_problem(name.get<std::string>()).empty()) {
      names_[target] = name.get<std::string>();
    }
  }
}

std::optional<std::string> DisplayNames::name_of(std::string_view target) const {
  std::lock_guard lock(mutex_);
  const auto it = names_.find(std::string(target));
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> DisplayNames::all() const {
  std::lock_guard lock(mutex_);
  return names_;
}

void DisplayNames::set(const std::map<std::string, std::string>& names) {
  std::lock_guard lock(mutex_);
  auto updated = names_;
  for (const auto& [target, name] : names) {
    if (name.empty()) {
      updated.erase(target);
    } else {
      updated[target] = name;
    }
  }
  if (!path_.empty()) {
    // A crash while writing leaves the old file whole: write a new one, then rename over.
    const auto temp = path_ + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << nlohmann::json(updated).dump(2) << '\n';
      out.flush();
      if (!out) throw std::runtime_error(fmt::format("cannot write {}", temp));
    }
    if (std::rename(temp.c_str(), path_.c_str()) != 0) {
      throw std::runtime_error(fmt::format("cannot replace {}", path_));
    }
  }
  names_ = std::move(updated);
}

std::string display_name_problem(std::string_view name) {
  std::size_t chars = 0;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return "a name must not contain control characters";
    if ((byte & 0xC0) != 0x80) ++chars;  // count lead bytes only
  }
  if (chars > kMaxDisplayNameChars) {
    return fmt::format("a name has at most {} characters", kMaxDisplayNameChars);
  }
  return {};
}

}  // namespace btms::web
