#include "web/operator_actions.hpp"

#include <future>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {

using nlohmann::json;

// Who is acting and from where; "" as user when no session (no authorizer installed).
engine::Actor actor_of(const OperatorContext& ctx, const Request& request) {
  engine::Actor who;
  who.address = request.remote_address;
  if (ctx.auth != nullptr) {
    if (const auto session = ctx.auth->session_of(request)) who.user = session->user;
  }
  return who;
}

void audit(const OperatorContext& ctx, const engine::Actor& who, security::AuditAction action,
           std::string_view target, std::string detail) {
  if (ctx.auth == nullptr || ctx.auth->audit() == nullptr) return;
  if (detail.size() > kMaxAuditDetailChars) {
    detail.resize(kMaxAuditDetailChars);
    detail += "...";
  }
  ctx.auth->audit()->append(unix_now_ms(), who.user, who.address, action, target, detail);
}

namespace {

int http_status(engine::ActionStatus status) {
  switch (status) {
    case engine::ActionStatus::done:
      return 200;
    case engine::ActionStatus::not_found:
      return 404;
    case engine::ActionStatus::engine_stopped:
      return 503;
    case engine::ActionStatus::refused:
      return 409;
  }
  return 409;
}

}  // namespace

// Queues the action and waits for the engine's verdict, at most ctx.action_timeout.
Outcome carry_out(const OperatorContext& ctx, engine::Action action, const engine::Actor& who) {
  auto future = ctx.engine->submit(std::move(action), who);
  if (future.wait_for(ctx.action_timeout) != std::future_status::ready) {
    return {503, fmt::format("engine busy: the action is queued but was not confirmed within {} ms",
                             ctx.action_timeout.count())};
  }
  engine::ActionResult result;
  try {
    result = future.get();
  } catch (const std::exception& e) {  // a broken promise: the engine went away
    return {503, fmt::format("{}: {}", kNoEngine, e.what())};
  }
  if (result.status == engine::ActionStatus::engine_stopped) {
    return {503, std::string(kNoEngine), std::nullopt};
  }
  if (!result.ok) return {http_status(result.status), result.message, std::nullopt};
  Outcome outcome{200, result.message, std::nullopt};
  // Durable before the answer: this worker (never the engine thread) waits for the history
  // recorder to commit the action's events.
  if (ctx.durability) {
    outcome.durable = ctx.durability->wait_committed(
        result.event_id, std::chrono::steady_clock::now() + ctx.durable_timeout);
    if (!*outcome.durable) {
      outcome.message +=
          fmt::format(" (not yet stored in the history: it may be lost if the gateway fails now)");
    }
  }
  return outcome;
}

// Audits the action with its result and answers it.
Response finish(const OperatorContext& ctx, const engine::Actor& who, security::AuditAction action,
                std::string_view target, std::string_view what, const Outcome& outcome) {
  audit(ctx, who, action, target,
        fmt::format("{}; result: {} {}", what, outcome.status, outcome.message));
  if (outcome.status == 200) {
    json body{{"ok", true}, {"message", outcome.message}};
    if (outcome.durable) body["durable"] = *outcome.durable;
    return no_store_json(200, body);
  }
  return no_store_error(outcome.status, outcome.message);
}

}  // namespace btms::web
