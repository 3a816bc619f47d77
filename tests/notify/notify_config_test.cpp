// The [notify] tables: a complete example reads back field by field, and every kind of bad
// input is refused with its line, key and reason.
#include "notify/notify_config.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "model/config/config_parser.hpp"

namespace btms::notify {
namespace {

constexpr const char* kExample = R"(
[notify]
base_url = "https://btms.example.net:8443"
group_wait_s = 20
group_interval_s = 120
repeat_interval_s = 3600
escalate_after_s = 600
attempts = 3
first_backoff_ms = 500

[notify.mail]
url = "smtp://mail.example.net:587"
from = "btms@example.net"
username = "btms"
password = "s3cret"

[[notify.recipient]]
name = "night-shift"
channel = "mail"
to = "night@example.net"
level = "warnings"
sources = ["ups/1", "string/3"]
rules = ["battery_temperature"]
quiet_hours = "22:00-06:00"
utc_offset_min = 60

[[notify.recipient]]
name = "facility-manager"
channel = "mail"
to = "boss@example.net"
tier = 2

[[notify.recipient]]
name = "dcim"
channel = "webhook"
url = "https://dcim.example.net/hooks/btms"
secret = "hmac-key"
level = "trips"

[[notify.recipient]]
name = "nms-v2c"
channel = "snmp"
target = "udp:nms.example.net:162"
community = "public-traps"
mib = "both"

[[notify.recipient]]
name = "nms-v3"
channel = "snmp"
target = "udp:10.0.0.5:1162"
version = "3"
inform = true
user = "btms"
auth_protocol = "SHA-256"
auth_password = "auth-pass-1"
priv_password = "priv-pass-1"
timeout_ms = 2000
retries = 2

[[notify.recipient]]
name = "nms-v3-trap"
channel = "snmp"
target = "udp:10.0.0.6:162"
version = "3"
user = "btms"
auth_password = "auth-pass-1"
priv_password = "priv-pass-1"
engine_id = "0x80001f8880aabbccdd"

[notify.snmp_agent]
agentx_socket = "unix:/run/snmpd/agentx"
)";

TEST(NotifyConfig, ExampleReadsBack) {
  const auto r = parse_notify_config_string(kExample, "site.toml");
  ASSERT_TRUE(r.errors.empty()) << model::format_error(r.errors.front());
  const auto& s = r.settings;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.routing.base_url, "https://btms.example.net:8443");
  EXPECT_EQ(s.routing.group_wait_ms, 20'000);
  EXPECT_EQ(s.routing.group_interval_ms, 120'000);
  EXPECT_EQ(s.routing.repeat_interval_ms, 3'600'000);
  EXPECT_EQ(s.routing.escalate_after_ms, 600'000);
  EXPECT_EQ(s.delivery.attempts, 3);
  EXPECT_EQ(s.delivery.first_backoff_ms, 500);
  EXPECT_EQ(s.mail.url, "smtp://mail.example.net:587");
  EXPECT_EQ(s.mail.security, MailSecurity::starttls);
  EXPECT_EQ(s.mail.password, "s3cret");
  ASSERT_EQ(s.recipients.size(), 6u);
  const auto& night = s.recipients[0];
  EXPECT_EQ(night.name, "night-shift");
  EXPECT_EQ(night.channel, ChannelKind::mail);
  EXPECT_EQ(night.address, "night@example.net");
  EXPECT_EQ(night.min_severity, model::Severity::warning);
  EXPECT_EQ(night.sources, (std::vector<std::string>{"ups/1", "string/3"}));
  EXPECT_EQ(night.rules, (std::vector<std::string>{"battery_temperature"}));
  EXPECT_EQ(night.quiet.start_min, 22 * 60);
  EXPECT_EQ(night.quiet.end_min, 6 * 60);
  EXPECT_EQ(night.quiet.utc_offset_min, 60);
  EXPECT_EQ(s.recipients[1].tier, 2);
  EXPECT_EQ(s.recipients[1].min_severity, model::Severity::alarm);
  EXPECT_EQ(s.recipients[2].channel, ChannelKind::webhook);
  EXPECT_EQ(s.recipients[2].address, "https://dcim.example.net/hooks/btms");
  EXPECT_EQ(s.recipients[2].secret, "hmac-key");
  EXPECT_EQ(s.recipients[2].min_severity, model::Severity::trip);
  const auto& v2c = s.recipients[3];
  EXPECT_EQ(v2c.channel, ChannelKind::snmp);
  EXPECT_EQ(v2c.address, "udp:nms.example.net:162");
  EXPECT_EQ(v2c.snmp.version, SnmpVersion::v2c);
  EXPECT_EQ(v2c.snmp.community, "public-traps");
  EXPECT_FALSE(v2c.snmp.inform);
  EXPECT_TRUE(v2c.snmp.btms_mib);
  EXPECT_TRUE(v2c.snmp.ups_mib);
  const auto& v3 = s.recipients[4];
  EXPECT_TRUE(v3.snmp.btms_mib) << "default: BTMS-MIB only";
  EXPECT_FALSE(v3.snmp.ups_mib);
  EXPECT_EQ(v3.snmp.version, SnmpVersion::v3);
  EXPECT_TRUE(v3.snmp.inform);
  EXPECT_EQ(v3.snmp.user, "btms");
  EXPECT_EQ(v3.snmp.auth_protocol, SnmpAuthProtocol::sha256);
  EXPECT_EQ(v3.snmp.auth_password, "auth-pass-1");
  EXPECT_EQ(v3.snmp.priv_password, "priv-pass-1");
  EXPECT_EQ(v3.snmp.timeout_ms, 2000);
  EXPECT_EQ(v3.snmp.retries, 2);
  EXPECT_EQ(s.recipients[5].snmp.auth_protocol, SnmpAuthProtocol::sha1);
  EXPECT_EQ(s.recipients[5].snmp.engine_id_hex, "80001f8880aabbccdd");
  EXPECT_TRUE(s.snmp_agent.enabled);
  EXPECT_EQ(s.snmp_agent.agentx_socket, "unix:/run/snmpd/agentx");
}

TEST(NotifyConfig, NoNotifyTableMeansOff) {
  const auto r = parse_notify_config_string("[site]\nname = \"x\"\n", "site.toml");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_FALSE(r.settings.enabled);
}

TEST(NotifyConfig, SiteParserLeavesNotifyToUs) {
  // The site parser must not call [notify] an unknown key (it only checks it is a table).
  const auto r = model::parse_config_string(R"(
[site]
name = "t"
[[battery_type]]
name = "b"
nominal_voltage_V = 12
cells = 6
capacity_Ah = 100
[[bus]]
name = "b1"
type = "tcp"
[[ups]]
id = 1
[[string]]
id = 1
ups = 1
battery_type = "b"
batteries = 2
bus = "b1"
[notify]
base_url = "x"
)",
                                            "site.toml");
  for (const auto& e : r.errors) ADD_FAILURE() << model::format_error(e);
}

TEST(NotifyConfig, BadInputIsRefusedWithLineKeyAndReason) {
  const struct {
    const char* toml;
    int line;
    const char* key;
    const char* reason;
  } rows[] = {
      {"notify = 3\n", 1, "notify", "expected a table"},
      {"[notify]\ngroup_wait_s = -1\n", 2, "notify.group_wait_s", "out of range"},
      {"[notify]\ngroup_wait_s = \"30\"\n", 2, "notify.group_wait_s", "expected an integer"},
      {"[notify]\nbogus = 1\n", 2, "notify.bogus", "unknown key"},
      {"[notify]\n[[notify.recipient]]\nname = \"a\"\nchannel = \"webhook\"\nurl = \"http://x\"\n",
       1, "notify.base_url", "required with recipients"},
      {"[notify]\nbase_url = \"btms.local\"\n", 2, "notify.base_url", "http://"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nchannel = \"mail\"\nto = "
       "\"a@b\"\n",
       3, "notify.recipient[1].name", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"pager\"\n",
       5, "notify.recipient[1].channel", "expected \"mail\", \"webhook\" or \"snmp\""},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"ftp://x\"\n",
       6, "notify.recipient[1].url", "http://"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\n",
       3, "notify.recipient[1].url", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"mail\"\nto = \"a@b\"\n",
       3, "notify.mail", "need a [notify.mail] server"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"mail\"\nto = \"nobody\"\n",
       6, "notify.recipient[1].to", "mail address"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"http://x\"\n"
       "level = \"all\"\n",
       7, "notify.recipient[1].level", "expected \"warnings\""},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"http://x\"\n"
       "sources = [\"rack/1\"]\n",
       7, "notify.recipient[1].sources", "\"rack/1\" is not"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"http://x\"\n"
       "tier = 0\n",
       7, "notify.recipient[1].tier", "out of range"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"http://x\"\n"
       "quiet_hours = \"22-6\"\n",
       7, "notify.recipient[1].quiet_hours", "HH:MM-HH:MM"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"webhook\"\nurl = \"http://x\"\n"
       "[[notify.recipient]]\nname = \"a\"\nchannel = \"webhook\"\nurl = \"http://y\"\n",
       8, "notify.recipient[2].name", "used twice"},
      // SNMP recipients: line 6 is the first key after channel.
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"snmp\"\n",
       3, "notify.recipient[1].target", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:\"\ncommunity = \"c\"\n",
       6, "notify.recipient[1].target", "expected udp:host:port"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\n",
       3, "notify.recipient[1].community", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"1\"\n",
       7, "notify.recipient[1].version", "expected \"2c\" or \"3\""},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\ncommunity = \"c\"\nuser = \"u\"\n",
       8, "notify.recipient[1].user", "only for version = \"3\""},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\ncommunity = \"c\"\ninform = \"yes\"\n",
       8, "notify.recipient[1].inform", "expected true or false"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\ncommunity = \"c\"\ntimeout_ms = 5\n",
       8, "notify.recipient[1].timeout_ms", "out of range"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"short\"\npriv_password = \"longenough\"\ninform = true\n",
       9, "notify.recipient[1].auth_password", "at least 8 characters"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\ninform = true\n",
       3, "notify.recipient[1].priv_password", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\npriv_password = \"longenough\"\n",
       3, "notify.recipient[1].engine_id", "SNMPv3 traps need"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\npriv_password = \"longenough\"\nengine_id = \"0x12zz\"\n",
       11, "notify.recipient[1].engine_id", "5 to 32 bytes in hex"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\npriv_password = \"longenough\"\ninform = true\n"
       "auth_protocol = \"MD5\"\n",
       12, "notify.recipient[1].auth_protocol", "expected \"SHA\" or \"SHA-256\""},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\npriv_password = \"longenough\"\ninform = true\n"
       "priv_protocol = \"DES\"\n",
       12, "notify.recipient[1].priv_protocol", "AES"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = \"snmp\"\n"
       "target = \"udp:nms:162\"\nversion = \"3\"\nuser = \"u\"\nauth_password = "
       "\"longenough\"\npriv_password = \"longenough\"\ninform = true\ncommunity = \"c\"\n",
       12, "notify.recipient[1].community", "only for version = \"2c\""},
      {"[notify.snmp_agent]\nenabled = 1\n", 2, "notify.snmp_agent.enabled", "true or false"},
      {"[notify.snmp_agent]\nport = 705\n", 2, "notify.snmp_agent.port", "unknown key"},
      {"[notify.mail]\nurl = \"http://mail\"\nfrom = \"a@b\"\n", 2, "notify.mail.url", "smtp://"},
      {"[notify.mail]\nurl = \"smtps://mail\"\nfrom = \"a@b\"\n", 2, "notify.mail.security",
       "implicit"},
      {"[notify.mail]\nurl = \"smtp://mail\"\nfrom = \"a@b\"\nsecurity = \"implicit\"\n", 4,
       "notify.mail.security", "smtps://"},
      {"[notify.mail]\nurl = \"smtp://mail\"\nfrom = \"a@b\"\nsecurity = \"tls\"\n", 4,
       "notify.mail.security", "expected \"starttls\""},
      {"[notify.mail]\nurl = \"smtp://mail\"\nfrom = \"a@b\"\npassword = \"p\"\n", 4,
       "notify.mail.username", "needs a username"},
      {"[notify.mail]\nfrom = \"a@b\"\n", 1, "notify.mail.url", "missing required key"},
      {"[notify]\nbase_url = \"http://b\"\n[[notify.recipient]]\nname = \"a\"\nchannel = "
       "\"snmp\"\ntarget = \"udp:h:162\"\ncommunity = \"c\"\nmib = \"rfc1628\"\n",
       8, "notify.recipient[1].mib", "expected \"btms\", \"ups\" or \"both\""},
      {"[notify]\nbase_url = \"a\nb\"\n", 2, "", ""},  // TOML syntax error: reported with line
  };
  for (const auto& row : rows) {
    const auto r = parse_notify_config_string(row.toml, "site.toml");
    ASSERT_FALSE(r.errors.empty()) << row.toml;
    // The error about this row's key (other keys may be reported too).
    const auto it = std::find_if(r.errors.begin(), r.errors.end(),
                                 [&](const auto& e) { return !*row.key || e.key == row.key; });
    ASSERT_NE(it, r.errors.end()) << row.toml << "\n" << model::format_error(r.errors.front());
    const auto& e = *it;
    EXPECT_EQ(e.file, "site.toml");
    EXPECT_EQ(e.line, row.line) << row.toml << "\n" << model::format_error(e);
    EXPECT_NE(e.reason.find(row.reason), std::string::npos) << row.toml << "\n"
                                                            << model::format_error(e);
  }
}

TEST(NotifyConfig, QuietHoursSyntax) {
  const struct {
    const char* text;
    bool ok;
    int start, end;
  } rows[] = {{"22:00-06:00", true, 1320, 360}, {"00:00-24:00", true, 0, 0},
              {"08:30-17:45", true, 510, 1065}, {"8:30-17:45", false, 0, 0},
              {"25:00-06:00", false, 0, 0},     {"22:60-06:00", false, 0, 0},
              {"22:00", false, 0, 0},           {"22:00-06:0x", false, 0, 0}};
  for (const auto& row : rows) {
    int start = -1, end = -1;
    EXPECT_EQ(parse_quiet_hours(row.text, start, end), row.ok) << row.text;
    if (row.ok) {
      EXPECT_EQ(start, row.start) << row.text;
      EXPECT_EQ(end, row.end) << row.text;
    }
  }
}

}  // namespace
}  // namespace btms::notify
