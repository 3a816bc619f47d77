// SNMP: each alarm of a message as an SNMPv2c or SNMPv3 (USM authPriv) trap or inform through
// net-snmp's single-session API. A message counts as sent when every notification went out
// (traps) or was acknowledged (informs).
//
// net-snmp keeps process-wide state (snmp_library.hpp), so every use of it goes through one
// mutex: SNMP recipients take turns among themselves, while the
// engine, the notifier and the mail and webhook recipients never wait for them. An inform to a
// dead manager holds the others for at most timeout_ms x (retries + 1).

// net-snmp needs its configuration header first.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on

#include <fmt/format.h>

#include <mutex>
#include <vector>

#include "model/clock.hpp"
#include "notify/sender.hpp"
#include "notify/snmp_library.hpp"
#include "notify/snmp_trap_content.hpp"

namespace btms::notify {

namespace {

std::vector<oid> to_oid(const snmp_oids::Oid& in) {
  return std::vector<oid>(in.begin(), in.end());
}

bool hex_bytes(const std::string& hex, std::vector<u_char>& out) {
  if (hex.size() % 2 != 0 || hex.empty()) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(hex.c_str() + i, "%2x", &value) != 1) return false;
    out.push_back(static_cast<u_char>(value));
  }
  return true;
}

// Strings the session points into must live as long as the session.
struct SessionStrings {
  std::string peer;
  std::string community;
  std::string user;
  std::vector<u_char> engine_id;
};

std::string session_error(void* session) {
  int liberr = 0, syserr = 0;
  char* text = nullptr;
  snmp_sess_error(session, &liberr, &syserr, &text);
  std::string out = text ? text : "unknown SNMP error";
  SNMP_FREE(text);
  return out;
}

class SnmpSender final : public Sender {
 public:
  SnmpSender(RoutingSettings routing, SiteNames names)
      : routing_(std::move(routing)), names_(std::move(names)) {}

  SendOutcome send(const Notification& n, const Recipient& recipient) override {
    const auto traps = snmp_traps(n, routing_, names_);
    if (traps.empty()) return {true, false, "nothing to send"};
    const auto lock = lock_snmp_library();
    init_snmp_library();
    const auto& target = recipient.snmp;
    SessionStrings strings;
    strings.peer = recipient.address;
    netsnmp_session config;
    snmp_sess_init(&config);
    config.peername = strings.peer.data();
    config.timeout = target.timeout_ms * 1000L;
    config.retries = target.retries;
    if (target.version == SnmpVersion::v2c) {
      strings.community = target.community;
      config.version = SNMP_VERSION_2c;
      config.community = reinterpret_cast<u_char*>(strings.community.data());
      config.community_len = strings.community.size();
    }
    // snmp_sess_open copies the protocol OIDs set_usm allocates: ours are freed on every path.
    struct ProtocolOids {
      netsnmp_session& session;
      ~ProtocolOids() {
        SNMP_FREE(session.securityAuthProto);
        SNMP_FREE(session.securityPrivProto);
      }
    } free_protocol_oids{config};
    if (target.version != SnmpVersion::v2c) {
      if (auto problem = set_usm(config, target, strings); !problem.empty()) {
        return {false, false, problem};
      }
    }
    void* session = snmp_sess_open(&config);
    if (!session) {
      return {false, true,
              "cannot open SNMP session to " + recipient.address + ": " +
                  std::string(snmp_api_errstring(snmp_errno))};
    }
    SendOutcome outcome{true, false, ""};
    int sent = 0;
    for (const auto& trap : traps) {
      if (cancel_ && cancel_->load()) {
        outcome = {false, true, "stopped"};
        break;
      }
      const auto one = send_one(session, trap, target.inform);
      if (!one.ok) {
        outcome = one;
        break;
      }
      ++sent;
    }
    snmp_sess_close(session);
    if (outcome.ok) {
      outcome.detail =
          fmt::format("{} {} {}", sent, target.inform ? "informs acknowledged by" : "traps sent to",
                      recipient.address);
    } else {
      outcome.detail = fmt::format("{} ({} of {} sent)", outcome.detail, sent, traps.size());
    }
    return outcome;
  }

 private:
  // SNMPv3 USM, authPriv: keys localized by net-snmp from the passwords.
  static std::string set_usm(netsnmp_session& s, const SnmpTarget& target,
                             SessionStrings& strings) {
    s.version = SNMP_VERSION_3;
    strings.user = target.user;
    s.securityName = strings.user.data();
    s.securityNameLen = strings.user.size();
    s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
    if (target.auth_protocol == SnmpAuthProtocol::sha256) {
      s.securityAuthProto = snmp_duplicate_objid(usmHMAC192SHA256AuthProtocol,
                                                 OID_LENGTH(usmHMAC192SHA256AuthProtocol));
      s.securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
    } else {
      s.securityAuthProto =
          snmp_duplicate_objid(usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol));
      s.securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
    }
    s.securityAuthKeyLen = USM_AUTH_KU_LEN;
    if (generate_Ku(s.securityAuthProto, static_cast<u_int>(s.securityAuthProtoLen),
                    reinterpret_cast<const u_char*>(target.auth_password.data()),
                    target.auth_password.size(), s.securityAuthKey,
                    &s.securityAuthKeyLen) != SNMPERR_SUCCESS) {
      return "cannot derive the SNMPv3 authentication key (auth_password too short?)";
    }
    s.securityPrivProto = snmp_duplicate_objid(usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol));
    s.securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
    s.securityPrivKeyLen = USM_PRIV_KU_LEN;
    if (generate_Ku(s.securityAuthProto, static_cast<u_int>(s.securityAuthProtoLen),
                    reinterpret_cast<const u_char*>(target.priv_password.data()),
                    target.priv_password.size(), s.securityPrivKey,
                    &s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
      return "cannot derive the SNMPv3 privacy key (priv_password too short?)";
    }
    // A trap's authoritative engine is the sender: the receiver knows the user under this
    // engine ID. An inform's is the receiver, which net-snmp discovers.
    if (!target.inform) {
      if (!hex_bytes(target.engine_id_hex, strings.engine_id)) {
        return "engine_id must be hex digits (SNMPv3 traps)";
      }
      s.securityEngineID = strings.engine_id.data();
      s.securityEngineIDLen = strings.engine_id.size();
      s.contextEngineID = strings.engine_id.data();
      s.contextEngineIDLen = strings.engine_id.size();
    }
    return {};
  }

  SendOutcome send_one(void* session, const SnmpTrap& trap, bool inform) {
    netsnmp_pdu* pdu = snmp_pdu_create(inform ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
    if (!pdu) return {false, true, "out of memory"};
    // sysUpTime.0: hundredths of a second since this sender started (RFC 3416 asks for the
    // agent's uptime; the gateway is the agent).
    const auto uptime = static_cast<u_long>((model::system_clock()->now_ms() - start_ms_) / 10);
    const auto uptime_oid = to_oid(snmp_oids::kSysUpTime0);
    snmp_pdu_add_variable(pdu, uptime_oid.data(), uptime_oid.size(), ASN_TIMETICKS, &uptime,
                          sizeof uptime);
    const auto trap_oid_oid = to_oid(snmp_oids::kSnmpTrapOid0);
    const auto trap_oid = to_oid(trap.trap_oid);
    snmp_pdu_add_variable(pdu, trap_oid_oid.data(), trap_oid_oid.size(), ASN_OBJECT_ID,
                          trap_oid.data(), trap_oid.size() * sizeof(oid));
    for (const auto& vb : trap.varbinds) {
      const auto name = to_oid(vb.oid);
      if (const auto* number = std::get_if<std::int32_t>(&vb.value)) {
        const long value = *number;
        snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_INTEGER, &value, sizeof value);
      } else if (const auto* object_id = std::get_if<snmp_oids::Oid>(&vb.value)) {
        const auto value = to_oid(*object_id);
        snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OBJECT_ID, value.data(),
                              value.size() * sizeof(oid));
      } else {
        const auto& text = std::get<std::string>(vb.value);
        snmp_pdu_add_variable(pdu, name.data(), name.size(), ASN_OCTET_STR, text.data(),
                              text.size());
      }
    }
    if (!inform) {
      if (snmp_sess_send(session, pdu) == 0) {
        const auto error = session_error(session);
        snmp_free_pdu(pdu);
        return {false, true, "trap not sent: " + error};
      }
      return {true, false, ""};
    }
    netsnmp_pdu* response = nullptr;
    const int status = snmp_sess_synch_response(session, pdu, &response);
    SendOutcome outcome;
    if (status == STAT_SUCCESS && response && response->errstat == SNMP_ERR_NOERROR) {
      outcome = {true, false, ""};
    } else if (status == STAT_SUCCESS && response) {
      outcome = {
          false, false,
          "inform refused: " + std::string(snmp_errstring(static_cast<int>(response->errstat)))};
    } else if (status == STAT_TIMEOUT) {
      outcome = {false, true, "inform not acknowledged (timeout)"};
    } else {
      // Wrong user, password or engine: another try cannot help.
      outcome = {false, false, "inform failed: " + session_error(session)};
    }
    if (response) snmp_free_pdu(response);
    return outcome;
  }

  RoutingSettings routing_;
  SiteNames names_;
  std::int64_t start_ms_ = model::system_clock()->now_ms();
};

}  // namespace

std::unique_ptr<Sender> make_snmp_sender(RoutingSettings routing, SiteNames names) {
  return std::make_unique<SnmpSender>(std::move(routing), std::move(names));
}

}  // namespace btms::notify
