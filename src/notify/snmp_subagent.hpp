// The AgentX subagent: lets an NMS or DCIM poll (snmpget / snmpwalk) the gateway through the
// system's snmpd, which keeps the network side (ports, communities, v3 users, access control).
// Serves BTMS-MIB's tables and UPS-MIB's battery and alarm groups (snmp_mib_view.hpp) from the
// newest published step. A consumer of the publication bus: it reads latest() when a request comes,
// on its own thread; the engine never waits for it, nor for snmpd.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/step_publication.hpp"
#include "model/topology.hpp"
#include "notify/notify_settings.hpp"
#include "notify/snmp_mib_view.hpp"
#include "notify/ups_alarm_board.hpp"

namespace btms::notify {

class SnmpSubagent {
 public:
  // `ups_alarms`: the gateway's UPS-MIB alarm table, shared with the notifier so the traps'
  // upsAlarmId are the table's rows; null: one of its own.
  SnmpSubagent(SnmpAgentSettings settings, model::Site site,
               std::shared_ptr<const engine::StepPublication> publication,
               std::shared_ptr<UpsAlarmBoard> ups_alarms = nullptr);
  ~SnmpSubagent();
  SnmpSubagent(const SnmpSubagent&) = delete;
  SnmpSubagent& operator=(const SnmpSubagent&) = delete;

  // Throws std::runtime_error when net-snmp was already set up as a plain client (start the
  // subagent before the notifier).
  void start();
  void stop();  // idempotent

  // The view of the newest step (rebuilt when the step changed). Agent thread only.
  const MibView& view();

 private:
  void loop();

  SnmpAgentSettings settings_;
  model::Site site_;
  std::shared_ptr<const engine::StepPublication> publication_;
  std::shared_ptr<UpsAlarmBoard> ups_alarms_;
  MibView view_;
  std::uint64_t view_step_ = ~std::uint64_t{0};
  std::uint64_t view_alarm_seq_ = 0;
  int wake_pipe_[2] = {-1, -1};  // stop() writes; the agent's select() wakes
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace btms::notify
