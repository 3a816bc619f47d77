#include "aggregator/aggregator.hpp"

#include "aggregator/aggregator_server.hpp"

namespace btms::aggregator {

Aggregator::Aggregator(SiteFile site, AggregatorOptions options)
    : site_(std::move(site)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = model::system_clock();
  for (const auto& entry : site_.gateways) {
    links_.push_back(std::make_unique<GatewayLink>(
        entry, options_.clock,
        [this] {
          if (on_change_) on_change_();
        },
        options_.link_timings));
  }
  server_ = std::make_unique<AggregatorServer>(*this);
}

Aggregator::~Aggregator() {
  stop();
}

void Aggregator::start() {
  server_->start();
  for (auto& link : links_) link->start();
}

void Aggregator::stop() {
  for (auto& link : links_) link->stop();
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
