// The steps every operator action of the API shares: who is acting, the audit entry, carrying
// the action out through the engine (waiting at most the context's timeouts, never on the engine
// thread) and the answer. Used by the operator endpoints and the maintenance record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/engine_service.hpp"
#include "security/audit_log.hpp"
#include "web/http_types.hpp"
#include "web/operator_handlers.hpp"

namespace btms::web {

inline constexpr std::string_view kNoEngine = "engine not running";
inline constexpr std::size_t kMaxAuditDetailChars = 2000;
// The largest string id and battery position an operator request may name.
inline constexpr std::int64_t kMaxStringId = 999;
inline constexpr std::int64_t kMaxPosition = 1000;

// Who is acting and from where; "" as user when no session (no authorizer installed).
engine::Actor actor_of(const OperatorContext& ctx, const Request& request);

// Appends to the audit log (detail cut at kMaxAuditDetailChars); nothing when there is none.
void audit(const OperatorContext& ctx, const engine::Actor& who, security::AuditAction action,
           std::string_view target, std::string detail);

struct Outcome {
  int status = 200;
  std::string message;
  std::optional<bool> durable = std::nullopt;  // set when the gateway keeps a durable event log
};

// Queues the action and waits for the engine's verdict, at most ctx.action_timeout; then, with a
// durable event log, for its events to be committed (at most ctx.durable_timeout).
Outcome carry_out(const OperatorContext& ctx, engine::Action action, const engine::Actor& who);

// Audits the action with its result and answers it ({"ok":true,"message":...} or the error).
Response finish(const OperatorContext& ctx, const engine::Actor& who, security::AuditAction action,
                std::string_view target, std::string_view what, const Outcome& outcome);

}  // namespace btms::web
