#include "notify/snmp_subagent.hpp"

// net-snmp needs its configuration header first.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
// clang-format on

#include <spdlog/spdlog.h>
#include <sys/select.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "notify/snmp_library.hpp"

namespace btms::notify {

namespace {

bool has_prefix(const snmp_oids::Oid& name, const oid* root, std::size_t root_len) {
  if (name.size() < root_len) return false;
  for (std::size_t i = 0; i < root_len; ++i) {
    if (name[i] != root[i]) return false;
  }
  return true;
}

void set_value(netsnmp_variable_list* vb, const MibValue& v) {
  switch (v.type) {
    case MibValue::Type::integer: {
      const long n = static_cast<long>(v.number);
      snmp_set_var_typed_value(vb, ASN_INTEGER, &n, sizeof n);
      break;
    }
    case MibValue::Type::gauge: {
      const u_long n = static_cast<u_long>(v.number < 0 ? 0 : v.number);
      snmp_set_var_typed_value(vb, ASN_GAUGE, &n, sizeof n);
      break;
    }
    case MibValue::Type::text:
      snmp_set_var_typed_value(vb, ASN_OCTET_STR, v.text.data(), v.text.size());
      break;
    case MibValue::Type::object_id: {
      const std::vector<oid> value(v.object_id.begin(), v.object_id.end());
      snmp_set_var_typed_value(vb, ASN_OBJECT_ID, value.data(), value.size() * sizeof(oid));
      break;
    }
    case MibValue::Type::timeticks: {
      const u_long n = static_cast<u_long>(v.number < 0 ? 0 : v.number);
      snmp_set_var_typed_value(vb, ASN_TIMETICKS, &n, sizeof n);
      break;
    }
  }
}

// GET: the exact OID or noSuchInstance. GETNEXT: the first OID after the asked one within this
// registration's subtree; none leaves the request to the next subtree (the agent walks on).
int handle_request(netsnmp_mib_handler*, netsnmp_handler_registration* reg,
                   netsnmp_agent_request_info* info, netsnmp_request_info* requests) {
  auto* agent = static_cast<SnmpSubagent*>(reg->my_reg_void);
  const MibView& view = agent->view();
  for (auto* r = requests; r; r = r->next) {
    if (r->processed) continue;
    auto* vb = r->requestvb;
    const snmp_oids::Oid name(vb->name, vb->name + vb->name_length);
    if (info->mode == MODE_GET) {
      const auto it = view.find(name);
      if (it == view.end() || !has_prefix(it->first, reg->rootoid, reg->rootoid_len)) {
        netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
      } else {
        set_value(vb, it->second);
      }
    } else if (info->mode == MODE_GETNEXT) {
      const auto it = view.upper_bound(name);
      if (it != view.end() && has_prefix(it->first, reg->rootoid, reg->rootoid_len)) {
        const std::vector<oid> next(it->first.begin(), it->first.end());
        snmp_set_var_objid(vb, next.data(), next.size());
        set_value(vb, it->second);
      }
    } else {
      netsnmp_set_request_error(info, r, SNMP_ERR_NOTWRITABLE);
    }
  }
  return SNMP_ERR_NOERROR;
}

void register_subtree(const char* name, const snmp_oids::Oid& root, SnmpSubagent* agent) {
  const std::vector<oid> root_oid(root.begin(), root.end());
  auto* reg = netsnmp_create_handler_registration(name, handle_request, root_oid.data(),
                                                  root_oid.size(), HANDLER_CAN_RONLY);
  reg->my_reg_void = agent;
  if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
    spdlog::warn("snmp agent: cannot register {}", name);
  }
}

}  // namespace

SnmpSubagent::SnmpSubagent(SnmpAgentSettings settings, model::Site site,
                           std::shared_ptr<const engine::StepPublication> publication,
                           std::shared_ptr<UpsAlarmBoard> ups_alarms)
    : settings_(std::move(settings)),
      site_(std::move(site)),
      publication_(std::move(publication)),
      ups_alarms_(ups_alarms ? std::move(ups_alarms) : std::make_shared<UpsAlarmBoard>(site_)) {}

SnmpSubagent::~SnmpSubagent() {
  stop();
}

const MibView& SnmpSubagent::view() {
  const auto bundle = publication_ ? publication_->latest() : nullptr;
  const auto step = bundle ? bundle->step : 0;
  if (bundle) ups_alarms_->update(*bundle);
  const auto alarm_seq = ups_alarms_->last_seq();
  if (step != view_step_ || alarm_seq != view_alarm_seq_) {
    view_ = build_mib_view(site_, bundle ? bundle->plant.get() : nullptr,
                           bundle ? bundle->derived.get() : nullptr);
    if (ups_alarms_->serves()) {
      add_ups_alarm_group(view_, ups_alarms_->rows(), bundle ? bundle->time_ms : 0,
                          static_cast<std::uint32_t>(netsnmp_get_agent_uptime()));
    }
    view_step_ = step;
    view_alarm_seq_ = alarm_seq;
  }
  return view_;
}

void SnmpSubagent::start() {
  if (thread_.joinable()) return;
  {
    const auto lock = lock_snmp_library();
    if (!configure_snmp_subagent(settings_.agentx_socket)) {
      throw std::runtime_error("SNMP subagent: net-snmp was set up before it (start it first)");
    }
    init_snmp_library();
    register_subtree("btmsObjects", snmp_oids::kBtmsObjects, this);
    if (site_.upses.size() == 1) {
      register_subtree("upsBattery", snmp_oids::kUpsBattery, this);
      register_subtree("upsAlarm", snmp_oids::kUpsAlarm, this);
    }
  }
  if (::pipe(wake_pipe_) != 0) throw std::runtime_error("SNMP subagent: pipe failed");
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SnmpSubagent::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(wake_pipe_[1], &byte, 1);
  thread_.join();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  wake_pipe_[0] = wake_pipe_[1] = -1;
}

// Waits in select() for snmpd's requests (and net-snmp's own timers: AgentX pings and
// reconnects) or the stop pipe; handles them under the library lock.
void SnmpSubagent::loop() {
  while (!stopping_) {
    int fds = 0;
    int block = 1;
    fd_set readable;
    FD_ZERO(&readable);
    timeval timeout{};
    {
      const auto lock = lock_snmp_library();
      snmp_select_info(&fds, &readable, &timeout, &block);
    }
    FD_SET(wake_pipe_[0], &readable);
    fds = std::max(fds, wake_pipe_[0] + 1);
    const int ready = ::select(fds, &readable, nullptr, nullptr, block ? nullptr : &timeout);
    if (stopping_) break;
    const auto lock = lock_snmp_library();
    if (ready > 0) {
      FD_CLR(wake_pipe_[0], &readable);
      snmp_read(&readable);
    } else if (ready == 0) {
      snmp_timeout();
    }
    run_alarms();
    netsnmp_check_outstanding_agent_requests();
  }
}

}  // namespace btms::notify
