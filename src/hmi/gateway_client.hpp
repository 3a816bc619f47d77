// The display's link to a gateway (CAD, docs/cad.md): reads /api/v1/session, topology, live
// values and alarms, then follows the WebSocket stream /api/v1/stream; re-reads the alarms when
// the stream says they changed; sends acknowledgements. Runs on its own thread with its own
// event loop; the screen reads a copy of the site view. Over https:// the gateway's certificate
// is verified (CA chain and host name, or a pinned fingerprint: gateway_tls.hpp). A dropped link is
// marked at once, the last values stay (shown greyed), and it reconnects with a growing pause (1 s
// .. 5 s).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "hmi/gateway_trust.hpp"
#include "hmi/site_source.hpp"
#include "hmi/site_view.hpp"
#include "model/clock.hpp"

namespace btms::hmi {

class GatewayTlsContext;  // gateway_tls.hpp

struct GatewayAddress {
  std::string host;
  std::string port;
  std::string display;  // host:port, shown in the status line
  bool tls = false;     // https:// (and wss:// for the stream)
};

// "https://host[:port][/]" (port 443 by default) or "http://host[:port][/]" (80) -> address;
// nullopt (with the reason in *error) otherwise.
std::optional<GatewayAddress> parse_gateway_url(std::string_view url, std::string* error);

// Where and as whom the client talks: the address, the API token, and for https:// the TLS
// context that holds the trust (null for http://).
struct GatewayEndpoint {
  GatewayAddress address;
  std::string token;
  std::shared_ptr<GatewayTlsContext> tls;
};

class GatewayClient : public SiteSource {
 public:
  // token may be empty (the loopback demo's anonymous reads). trust is used for https:// only
  // (throws std::runtime_error when its CA file cannot be read). wake is called (from the
  // client's thread) whenever the view changed; it must only signal.
  GatewayClient(GatewayAddress address, std::string token, const GatewayTrust& trust,
                std::shared_ptr<const model::Clock> clock, std::function<void()> wake);
  ~GatewayClient() override;
  GatewayClient(const GatewayClient&) = delete;
  GatewayClient& operator=(const GatewayClient&) = delete;

  void start() override;
  void stop() override;

  // A copy of the current view (the screen thread draws from it).
  SiteView view() const override;

  // Acknowledges one alarm (key) or every alarm of a source ("" = site) on the gateway; the
  // outcome appears as the view's notice. Ignored while the link is down (the notice says so).
  // comment goes to the gateway's event and audit entry (who: the token's name).
  void acknowledge(const std::string& key, const std::string& source,
                   const std::string& comment = "acknowledged on the HMI") override;
  // A message of the display itself (a wrong PIN) on the status line, like the link's notices.
  void show_notice(std::string text) override;
  // Gives a UPS ("ups/3") or string ("string/5") a display name on the gateway (PUT
  // /api/v1/names, operator); an empty name goes back to the site file's. Outcome as notice.
  void rename(const std::string& target, const std::string& name) override;

 private:
  struct Loop;
  // The loop of the current connection, or null (and a notice saying why) when the link is down.
  std::shared_ptr<Loop> connected_loop(std::string_view action);
  void run();
  template <class F>
  void update(F&& change);

  GatewayEndpoint endpoint_;
  std::shared_ptr<const model::Clock> clock_;
  std::function<void()> wake_;

  mutable std::mutex mutex_;
  SiteView view_;
  std::shared_ptr<Loop> loop_;  // the current connection's event loop, null between attempts
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace btms::hmi
