// BM-AG: one link per gateway of the site file and the site's API and stream over them
// (aggregator_server). Nothing of a gateway's detail is copied: per-battery values, history,
// events and discharges are asked of the owning gateway when someone asks the aggregator, and
// acknowledgements and resets are forwarded to it with the aggregator's token, so the gateway's
// event and audit logs record them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aggregator/gateway_link.hpp"
#include "aggregator/site_event_log.hpp"
#include "aggregator/site_file.hpp"
#include "model/clock.hpp"
#include "model/publish_listeners.hpp"
#include "notify/notifier.hpp"

namespace btms::aggregator {

struct AggregatorOptions {
  std::string bind = "127.0.0.1";
  int port = 8090;         // 0 = a free port
  std::string static_dir;  // the built web UI ("" = a placeholder page)
  std::string data_dir;    // users.sqlite with the aggregator's own API tokens ("" = none)
  bool allow_anonymous_read = false;  // reads from loopback without a token (demo)
  // HTTPS and WSS: the PEM certificate (chain) and key, or both empty for a self-signed pair
  // generated into data_dir on the first start (tls-cert.pem, tls-key.pem) and reused.
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::shared_ptr<const model::Clock> clock;  // null = system clock
  LinkTimings link_timings;
  int io_threads = 2;
  // The site SCADA endpoint (site_scada_server.hpp): the site file's [scada], or the command
  // line's; off unless enabled.
  SiteScadaSettings scada;
  std::chrono::milliseconds scada_upstream_timeout{1000};
  // The site's notifications (the site file's [notify]): how a recipient's messages are sent;
  // null = mail, webhook or SNMP as the recipient says (tests put fakes here).
  notify::SenderFactory notify_senders;
};

class AggregatorServer;
class SiteScadaServer;

class Aggregator {
 public:
  Aggregator(SiteFile site, AggregatorOptions options);
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  void start();  // binds (throws std::runtime_error) and starts the links
  void stop();
  int port() const;
  // The site's notifier ([notify] in the site file, site_notify.hpp); null without.
  const notify::Notifier* notifier() const { return notifier_.get(); }
  // The site SCADA endpoint; null when it is off.
  const SiteScadaServer* scada() const { return scada_.get(); }

  const SiteFile& site() const { return site_; }
  const AggregatorOptions& options() const { return options_; }
  const model::Clock& clock() const { return *options_.clock; }
  // The link of a gateway by name; null when the site has none of that name.
  const GatewayLink* link(std::string_view name) const;
  const std::vector<std::unique_ptr<GatewayLink>>& links() const { return links_; }
  std::vector<GatewayData> gateways() const;  // copies, in site-file order
  // The merged site event log every link feeds (site_event_log.hpp).
  const SiteEventLog& events() const { return *events_; }

  // Called (from a link's thread) after any gateway's data changed; it must only signal.
  // Set before start().
  void set_on_change(std::function<void()> on_change) { on_change_ = std::move(on_change); }
  // More wake-ups after any gateway's data changed (called from a link's thread; they must only
  // signal), e.g. the site's cloud feed; ended by the subscription.
  [[nodiscard]] model::PublishListeners::Subscription subscribe_changes(
      std::function<void()> wake) const {
    return change_listeners_.add(std::move(wake));
  }

 private:
  SiteFile site_;
  AggregatorOptions options_;
  std::function<void()> on_change_;
  model::PublishListeners change_listeners_;
  std::shared_ptr<SiteEventLog> events_ = std::make_shared<SiteEventLog>();
  std::vector<std::unique_ptr<GatewayLink>> links_;
  std::unique_ptr<AggregatorServer> server_;
  std::unique_ptr<SiteScadaServer> scada_;
  // Declared after links_ so it is destroyed before them: its names read the links.
  std::unique_ptr<notify::Notifier> notifier_;
};

}  // namespace btms::aggregator
