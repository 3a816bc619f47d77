#include "aggregator/aggregator.hpp"

#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "aggregator/aggregator_server.hpp"
#include "aggregator/site_notify.hpp"
#include "aggregator/site_scada_server.hpp"
#include "aggregator/site_scada_values.hpp"

namespace btms::aggregator {

Aggregator::Aggregator(SiteFile site, AggregatorOptions options)
    : site_(std::move(site)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = model::system_clock();
  if (!options_.data_dir.empty()) {
    // Tokens, notification state, cursors and the generated certificate live here: made on the
    // first start, readable by the service's user alone (as the gateway's data folder).
    std::error_code ec;
    if (std::filesystem::create_directories(options_.data_dir, ec)) {
      std::filesystem::permissions(options_.data_dir, std::filesystem::perms::owner_all, ec);
    }
    if (ec) {
      throw std::runtime_error("cannot create the data folder " + options_.data_dir + ": " +
                               ec.message());
    }
  }
  for (const auto& entry : site_.gateways) {
    links_.push_back(std::make_unique<GatewayLink>(
        entry, options_.clock,
        [this] {
          if (on_change_) on_change_();
          change_listeners_.notify();
        },
        options_.link_timings, events_));
    // Where each link is in its gateway's events survives a restart of the aggregator.
    if (!options_.data_dir.empty()) {
      links_.back()->keep_event_cursor(
          (std::filesystem::path(options_.data_dir) / ("event-cursor-" + entry.name + ".json"))
              .string());
    }
  }
  if (site_.notify.enabled) {
    notifier_ = make_site_notifier(site_.notify, site_.site_name, links_, *events_,
                                   options_.data_dir.empty()
                                       ? std::filesystem::path{}
                                       : std::filesystem::path(options_.data_dir) / "notify.db",
                                   options_.clock, options_.notify_senders);
  }
  server_ = std::make_unique<AggregatorServer>(*this);
  if (options_.scada.enabled) {
    SiteScadaOptions scada;
    scada.bind = options_.scada.bind;
    scada.site_port = options_.scada.port;
    scada.upstream_timeout = options_.scada_upstream_timeout;
    for (std::size_t k = 1; k <= site_.gateways.size(); ++k) {
      const auto& entry = site_.gateways[k - 1];
      scada.gateways.push_back(SiteScadaGateway{entry.name,
                                                gateway_scada_port(site_, options_.scada.port, k),
                                                entry.modbus_host, entry.modbus_port});
    }
    // Read under each link's lock, without copying its channels.
    SiteScadaSource source;
    source.site_unit = [this] {
      const auto now = options_.clock->now_ms();
      std::vector<GatewayScadaSummary> summaries;
      for (const auto& link : links_) {
        summaries.push_back(
            link->read([now](const GatewayData& g) { return gateway_scada_summary(g, now); }));
      }
      return site_scada_unit(summaries);
    };
    source.gateway_offline = [this](std::size_t k) {
      const auto now = options_.clock->now_ms();
      return links_.at(k - 1)->read(
          [now](const GatewayData& g) { return gateway_unavailable(g, now); });
    };
    scada_ = std::make_unique<SiteScadaServer>(std::move(scada), std::move(source));
  }
}

Aggregator::~Aggregator() {
  stop();
}

void Aggregator::start() {
  server_->start();
  if (scada_) scada_->start();
  if (notifier_) notifier_->start();
  for (auto& link : links_) link->start();
}

void Aggregator::stop() {
  if (scada_) scada_->stop();
  for (auto& link : links_) link->stop();
  // After the links: what they appended is still read (messages not sent yet stay in the
  // outbox with a data folder).
  if (notifier_) notifier_->stop();
  if (server_) server_->stop();
}

int Aggregator::port() const {
  return server_->port();
}

const GatewayLink* Aggregator::link(std::string_view name) const {
  for (const auto& link : links_) {
    if (link->entry().name == name) return link.get();
  }
  return nullptr;
}

std::vector<GatewayData> Aggregator::gateways() const {
  std::vector<GatewayData> out;
  out.reserve(links_.size());
  for (const auto& link : links_) out.push_back(link->copy());
  return out;
}

}  // namespace btms::aggregator
