#include "notify/snmp_library.hpp"

// net-snmp needs its configuration header first.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
// clang-format on

#include <cstdlib>

namespace btms::notify {

namespace {

std::mutex g_mutex;
bool g_initialized = false;
bool g_subagent = false;
std::string g_agentx_socket;

}  // namespace

std::unique_lock<std::mutex> lock_snmp_library() {
  return std::unique_lock<std::mutex>(g_mutex);
}

bool configure_snmp_subagent(const std::string& agentx_socket) {
  if (g_initialized) return g_subagent && agentx_socket == g_agentx_socket;
  g_subagent = true;
  g_agentx_socket = agentx_socket;
  return true;
}

void init_snmp_library() {
  if (g_initialized) return;
  // No configuration files, no persistent state written to /var/lib/snmp (the gateway runs as
  // a dynamic user), no MIB files loaded (every OID is numeric).
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
  setenv("MIBS", "", 0);
  if (g_subagent) {
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                          g_agentx_socket.c_str());
    // Reconnect within 5 s when snmpd restarts.
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
    // The subagent sends nothing itself; notifications go through the trap sender.
    netsnmp_enable_subagent();
    init_agent("btms");
  }
  init_snmp("btms");
  g_initialized = true;
}

bool snmp_library_is_subagent() {
  return g_initialized && g_subagent;
}

}  // namespace btms::notify
