// The [limits] tables of a site file: turned into a JSON document of the same shape as the
// settings API's, applied by the same code, with every problem at its file line.
#include <toml++/toml.h>

#include <algorithm>
#include <map>

#include "engine/config_fields.hpp"
#include "engine/config_fields_detail.hpp"

namespace btms::engine {

using nlohmann::json;
using namespace config_detail;

namespace {

// ---- TOML: the [limits] tables become a JSON document of the same shape; every JSON path
// remembers the TOML key and line it came from, for the problem lines.
struct TomlOrigin {
  std::string key;
  int line = 0;
};

int line_of(const toml::node& node) {
  return std::max(1, static_cast<int>(node.source().begin.line));
}

std::optional<json> toml_value(const toml::node& node) {
  if (const auto* b = node.as_boolean()) return json(b->get());
  if (const auto* i = node.as_integer()) return json(i->get());
  if (const auto* f = node.as_floating_point()) return json(f->get());
  if (const auto* s = node.as_string()) return json(s->get());
  return std::nullopt;
}

void toml_scalars(const toml::table& table, const std::string& toml_path,
                  const std::string& json_path, json& into,
                  std::map<std::string, TomlOrigin>& origins, std::vector<Problem>& problems) {
  into = json::object();
  for (const auto& [k, node] : table) {
    const std::string name(k.str());
    const auto tpath = toml_path + "." + name;
    const auto jpath = join(json_path, name);
    origins[jpath] = {tpath, line_of(node)};
    if (const auto v = toml_value(node)) {
      into[name] = *v;
    } else {
      problems.push_back({jpath, "expected a value, not a table or array"});
    }
  }
}

// The TOML spelling of a JSON path: defaults.battery.x -> limits.battery.x, per_string.3.string.x
// -> limits.string_3.string.x, alarm_outputs.0.relay -> limits.alarm_output[1].relay, top-level
// fields -> limits.timing.x.
std::string toml_name(const std::string& path) {
  if (path.rfind("defaults.", 0) == 0) return "limits." + path.substr(9);
  if (path.rfind("per_string.", 0) == 0) return "limits.string_" + path.substr(11);
  if (path.rfind("equalization", 0) == 0) return "limits." + path;
  if (path.rfind("alarm_outputs.", 0) == 0) {
    const auto rest = path.substr(14);
    const auto dot = rest.find('.');
    const int i = std::atoi(rest.substr(0, dot).c_str());
    return "limits.alarm_output[" + std::to_string(i + 1) + "]" +
           (dot == std::string::npos ? "" : rest.substr(dot));
  }
  return "limits.timing." + path;
}
// [limits.string_N.battery] / [limits.string_N.string]: string N's own limit set.
void read_string_override(const std::string& sid, const std::string& tpath, const toml::node& node,
                          json& doc, std::map<std::string, TomlOrigin>& origins,
                          std::vector<Problem>& problems) {
  const int line = line_of(node);
  const auto jpath = "per_string." + sid;
  origins[jpath] = {tpath, line};
  const auto* t = node.as_table();
  if (t == nullptr) {
    problems.push_back({jpath, "expected a table"});
    return;
  }
  json set = json::object();
  for (const auto& [gk, gnode] : *t) {
    const std::string group(gk.str());
    const auto jg = jpath + "." + group;
    origins[jg] = {tpath + "." + group, line_of(gnode)};
    const auto* gt = gnode.as_table();
    if (gt == nullptr) {
      problems.push_back({jg, "expected a table"});
      continue;
    }
    toml_scalars(*gt, tpath + "." + group, jg, set[group], origins, problems);
  }
  doc["per_string"][sid] = set;
}

// One table under [limits] into the document, remembering where each path came from.
void read_limits_table(const std::string& name, const toml::node& node, json& doc,
                       std::map<std::string, TomlOrigin>& origins, std::vector<Problem>& problems) {
  const auto tpath = "limits." + name;
  const int line = line_of(node);
  if (name == "battery" || name == "string") {
    origins["defaults." + name] = {tpath, line};
    const auto* t = node.as_table();
    if (t == nullptr) {
      problems.push_back({"defaults." + name, "expected a table"});
      return;
    }
    toml_scalars(*t, tpath, "defaults." + name, doc["defaults"][name], origins, problems);
  } else if (name == "timing") {
    origins["timing"] = {tpath, line};
    const auto* t = node.as_table();
    if (t == nullptr) {
      problems.push_back({"timing", "expected a table"});
      return;
    }
    json body;
    toml_scalars(*t, tpath, "", body, origins, problems);
    for (const auto& [field, value] : body.items()) {
      const auto* e = find_entry(field);
      if (e == nullptr || e->field.per_string || field.find('.') != std::string::npos) {
        problems.push_back({field, "unknown field"});
        continue;
      }
      doc[field] = value;
    }
  } else if (name == "equalization") {
    origins["equalization"] = {tpath, line};
    const auto* t = node.as_table();
    if (t == nullptr) {
      problems.push_back({"equalization", "expected a table"});
      return;
    }
    toml_scalars(*t, tpath, "equalization", doc["equalization"], origins, problems);
  } else if (name == "alarm_output") {
    origins["alarm_outputs"] = {tpath, line};
    const auto* arr = node.as_array();
    if (arr == nullptr || !arr->is_array_of_tables()) {
      problems.push_back({"alarm_outputs", "expected [[limits.alarm_output]] tables"});
      return;
    }
    doc["alarm_outputs"] = json::array();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto& t = *arr->get(i)->as_table();
      const auto jpath = "alarm_outputs." + std::to_string(i);
      const auto tp = tpath + "[" + std::to_string(i + 1) + "]";
      origins[jpath] = {tp, line_of(t)};
      json body;
      toml_scalars(t, tp, jpath, body, origins, problems);
      doc["alarm_outputs"].push_back(body);
    }
  } else if (name.rfind("string_", 0) == 0) {
    read_string_override(name.substr(7), tpath, node, doc, origins, problems);
  } else {
    origins[name] = {tpath, line};
    problems.push_back({name,
                        "unknown table (expected battery, string, timing, "
                        "equalization, string_N or alarm_output)"});
  }
}

// Each problem at the line of its key, or of the nearest enclosing table, in line order.
std::vector<std::string> located_problems(const std::vector<Problem>& problems,
                                          const std::map<std::string, TomlOrigin>& origins,
                                          const std::string& path, int limits_line) {
  const auto at = [&](int line) { return path + ":" + std::to_string(line) + ": "; };
  // Each problem at the line of its key, or of the nearest enclosing table.
  std::vector<std::pair<int, std::string>> lines;
  for (const auto& p : problems) {
    std::string key = p.path;
    TomlOrigin origin{"limits", limits_line};
    bool found = false;
    for (;;) {
      if (const auto it = origins.find(key); it != origins.end()) {
        origin = it->second;
        found = true;
        break;
      }
      const auto dot = key.rfind('.');
      if (dot == std::string::npos) break;
      key.resize(dot);
    }
    // Name the TOML key: the origin's key plus whatever part of the path lies below it.
    std::string toml_key = found ? origin.key + p.path.substr(key.size()) : toml_name(p.path);
    lines.emplace_back(origin.line, at(origin.line) + toml_key + ": " + p.reason);
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> text;
  for (auto& [line, t] : lines) text.push_back(std::move(t));
  return text;
}

}  // namespace

EngineConfig config_from_toml_file(const std::string& path, const EngineConfig& base,
                                   const model::Site* site) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigValidationError(
        {path + ":" + std::to_string(std::max<int>(1, static_cast<int>(e.source().begin.line))) +
         ": " + std::string(e.description())});
  }
  const auto* limits_node = root.get("limits");
  if (limits_node == nullptr) return base;
  const auto at = [&](int line) { return path + ":" + std::to_string(line) + ": "; };
  const auto* limits = limits_node->as_table();
  if (limits == nullptr) {
    throw ConfigValidationError({at(line_of(*limits_node)) + "limits: expected a table"});
  }
  std::vector<Problem> problems;
  std::map<std::string, TomlOrigin> origins;  // JSON path -> TOML key and line
  json doc = json::object();
  for (const auto& [k, node] : *limits)
    read_limits_table(std::string(k.str()), node, doc, origins, problems);
  EngineConfig out = apply_document(doc, base, site, problems);
  if (problems.empty()) return out;
  throw ConfigValidationError(located_problems(problems, origins, path, line_of(*limits_node)));
}

}  // namespace btms::engine
