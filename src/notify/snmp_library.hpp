// net-snmp keeps process-wide state (the library's init, USM user and engine-ID caches, the
// agent's registrations), so every use of it in the gateway -- the trap sender's sessions and
// the AgentX subagent -- holds this one lock. Initialized once: as an AgentX subagent when
// configure_snmp_subagent() ran first, else as a plain client.
#pragma once

#include <mutex>
#include <string>

namespace btms::notify {

std::unique_lock<std::mutex> lock_snmp_library();
// Call with the lock held. Returns false when the library was already initialized as a client
// (a subagent must be configured before the first trap is sent).
bool configure_snmp_subagent(const std::string& agentx_socket);
// Call with the lock held; does nothing after the first time.
void init_snmp_library();
// True when init_snmp_library() set the library up as a subagent.
bool snmp_library_is_subagent();

}  // namespace btms::notify
