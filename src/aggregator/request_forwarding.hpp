// Which requests to the aggregator go on to a gateway, and how they are rewritten: pure
// functions (tested without a network). The aggregator keeps no copy of what a gateway keeps;
// history, events, discharges and per-battery values are asked of the owning gateway, and
// operator actions are forwarded to it with the aggregator's token and the requesting user in
// the comment, so the gateway's event and audit logs show who acted and through what.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace btms::aggregator {

struct Forward {
  std::string gateway;  // name in the site file
  std::string method;   // "GET" or "POST"
  std::string target;   // path and query on the gateway
  std::string body;     // rewritten JSON body for POST
  bool needs_operator = false;
};

// /api/v1/gateways/<gateway>/<rest>[?query] -> the gateway's /api/v1/<rest>[?query] when <rest>
// is one of the readable resources (GET: live, topology, alarms, history, history.csv, events,
// discharges[/...], config) or the string actions (POST: strings/<id>/reset|open|baseline-reset,
// alarms/acknowledge). nullopt = not a gateway path; a string = the refusal (404 reason).
struct ForwardOrError {
  std::optional<Forward> forward;
  std::string error;  // non-empty = refused
  int status = 404;
};
ForwardOrError forward_for_gateway_path(std::string_view method, std::string_view target,
                                        const std::string& body, std::string_view user);

// POST /api/v1/alarms/acknowledge at the site: {"key":"<gateway>/<key>"} or
// {"source":"<gateway>[/<source>]"}, optional "comment". Returns the forwards (one per gateway;
// "source":"" = every gateway in `all_gateways`) or the 400 reason.
struct AcknowledgePlan {
  std::vector<Forward> forwards;
  std::string error;
};
AcknowledgePlan plan_site_acknowledge(const std::string& body, std::string_view user,
                                      const std::vector<std::string>& all_gateways);

// The comment a forwarded action carries: the user's own comment and who sent it through the
// aggregator (at most 500 characters, the gateway's limit).
std::string forwarded_comment(std::string_view comment, std::string_view user);

}  // namespace btms::aggregator
