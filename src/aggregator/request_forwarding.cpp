#include "aggregator/request_forwarding.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "aggregator/site_file.hpp"

namespace btms::aggregator {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxComment = 500;  // the gateway's limit on comment and reason
constexpr std::string_view kGatewaysPrefix = "/api/v1/gateways/";

bool readable(std::string_view rest) {
  constexpr std::array<std::string_view, 11> exact{
      "live",       "topology", "alarms",    "history",     "history.csv", "events",
      "discharges", "config",   "attention", "maintenance", "names"};
  if (std::find(exact.begin(), exact.end(), rest) != exact.end()) return true;
  return rest.starts_with("discharges/");
}

// strings/<digits>/<action>
bool string_action(std::string_view rest, std::string_view* action) {
  if (!rest.starts_with("strings/")) return false;
  rest.remove_prefix(8);
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  const auto id = rest.substr(0, slash);
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  *action = rest.substr(slash + 1);
  return *action == "reset" || *action == "open" || *action == "baseline-reset";
}

}  // namespace

std::string forwarded_comment(std::string_view comment, std::string_view user) {
  auto suffix = fmt::format("(via aggregator, {})", user.empty() ? "anonymous" : user);
  std::string out = comment.empty() ? suffix : fmt::format("{} {}", comment, suffix);
  if (out.size() > kMaxComment) out.resize(kMaxComment);
  return out;
}

ForwardOrError forward_for_gateway_path(std::string_view method, std::string_view target,
                                        const std::string& body, std::string_view user) {
  ForwardOrError out;
  if (!target.starts_with(kGatewaysPrefix)) return out;
  auto rest = target.substr(kGatewaysPrefix.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  const auto gateway = rest.substr(0, slash);
  if (!is_valid_gateway_name(gateway)) {
    out.error = "no such gateway";
    return out;
  }
  const auto resource =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  Forward f;
  f.gateway = std::string(gateway);
  f.method = std::string(method);
  f.target = fmt::format("/api/v1/{}{}", resource, query);
  std::string_view action;
  if (method == "GET" && readable(resource)) {
    out.forward = std::move(f);
    return out;
  }
  if (method == "POST" && (resource == "alarms/acknowledge" || string_action(resource, &action))) {
    auto j = json::parse(body, nullptr, false);
    if (!j.is_object()) {
      out.error = "the body must be a JSON object";
      out.status = 400;
      return out;
    }
    // Who acted goes with the action into the gateway's event log; the gateway checks the rest.
    if (resource == "alarms/acknowledge") {
      j["comment"] = forwarded_comment(j.value("comment", ""), user);
    } else if (action == "reset" || action == "open") {
      j["reason"] = forwarded_comment(j.value("reason", ""), user);
    }
    f.body = j.dump();
    f.needs_operator = true;
    out.forward = std::move(f);
    return out;
  }
  if (resource.empty() || (!readable(resource) && resource != "alarms/acknowledge" &&
                           !string_action(resource, &action))) {
    out.error = fmt::format("not forwarded to a gateway: /api/v1/{}", resource);
    return out;
  }
  out.error = "method not allowed";
  out.status = 405;
  return out;
}

AcknowledgePlan plan_site_acknowledge(const std::string& body, std::string_view user,
                                      const std::vector<std::string>& all_gateways) {
  AcknowledgePlan plan;
  const auto j = json::parse(body, nullptr, false);
  if (!j.is_object()) {
    plan.error = "the body must be a JSON object";
    return plan;
  }
  for (const auto& [k, v] : j.items()) {
    if (k != "key" && k != "source" && k != "comment") {
      plan.error = "unknown field: " + k;
      return plan;
    }
    if (!v.is_string()) {
      plan.error = k + " must be a string";
      return plan;
    }
  }
  if (j.contains("key") == j.contains("source")) {
    plan.error = "exactly one of key and source";
    return plan;
  }
  const auto comment = forwarded_comment(j.value("comment", ""), user);
  const auto make = [&](std::string gateway, const char* field, std::string value) {
    Forward f;
    f.gateway = std::move(gateway);
    f.method = "POST";
    f.target = "/api/v1/alarms/acknowledge";
    f.body = json{{field, std::move(value)}, {"comment", comment}}.dump();
    f.needs_operator = true;
    return f;
  };
  if (j.contains("key")) {
    const auto key = j["key"].get<std::string>();
    const auto slash = key.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) {
      plan.error = "key must be <gateway>/<alarm key>";
      return plan;
    }
    plan.forwards.push_back(make(key.substr(0, slash), "key", key.substr(slash + 1)));
    return plan;
  }
  const auto source = j["source"].get<std::string>();
  if (source.empty()) {
    for (const auto& g : all_gateways) plan.forwards.push_back(make(g, "source", ""));
    return plan;
  }
  const auto slash = source.find('/');
  if (slash == std::string::npos) {
    plan.forwards.push_back(make(source, "source", ""));
  } else {
    plan.forwards.push_back(make(source.substr(0, slash), "source", source.substr(slash + 1)));
  }
  return plan;
}

}  // namespace btms::aggregator
