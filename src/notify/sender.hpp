// One way of getting a notification to a recipient (mail, webhook). A sender does one try and
// says whether another try could help; the channel worker does the retries and the logging.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "notify/alarm_router.hpp"
#include "notify/notification.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

struct SendOutcome {
  bool ok = false;
  bool retry = true;   // false when another try cannot help (login refused, 4xx, no STARTTLS)
  std::string detail;  // server status or error text
};

class Sender {
 public:
  virtual ~Sender() = default;
  virtual SendOutcome send(const Notification& n, const Recipient& recipient) = 0;
  // A try in progress ends soon after *cancel turns true (the gateway stopping must not wait
  // for a hung server's timeout). Set once before the first send.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

 protected:
  const std::atomic<bool>* cancel_ = nullptr;
};

std::unique_ptr<Sender> make_mail_sender(MailServer server);
std::unique_ptr<Sender> make_webhook_sender(RoutingSettings routing, SiteNames names,
                                            long timeout_ms);
// SNMPv2c / v3 traps or informs (net-snmp), one per alarm of the message (snmp_trap_content).
std::unique_ptr<Sender> make_snmp_sender(RoutingSettings routing, SiteNames names);

}  // namespace btms::notify
