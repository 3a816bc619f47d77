// A standalone display (btms hmi --config) reads the cabinet's buses itself, so it must first
// make sure no gateway polls them: two masters on one RS-485 line collide, and a display that
// polled beside a gateway would at best double the bus load. The decision is a small pure
// function of what was observed (tested as a table); the I/O that observes it is beside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/topology.hpp"

namespace btms::hmi {

enum class BusVerdict {
  free,            // nobody else polls: the display may read this bus
  gateway_polls,   // the BM-MC heartbeat changed between two reads: a gateway feeds it
  foreign_traffic  // bytes on an RTU line the display has not sent a single frame on yet
};

struct BusCheck {
  BusVerdict verdict = BusVerdict::free;
  std::string message;  // why (also for free: what was checked), names the bus
};

// What two reads of the BM-MC heartbeat register (devices::bm_mc::kHeartbeat) saw on a TCP bus.
// A read that failed (no MC on the bus, MC silent, bus down) is nullopt.
struct HeartbeatObservation {
  std::optional<std::uint16_t> first;
  std::optional<std::uint16_t> second;
  std::int64_t spacing_ms = 0;  // between the two reads
};

// The gateway writes a new heartbeat value every poll cycle (BusWorker::feed_watchdog), so two
// reads spaced by more than its cycle differ while it runs. The MC's status bit "heartbeat
// seen" cannot be used: the emulated and the real MC latch it at the first write, it says
// nothing about now. Without two good reads nothing is known about a master: the bus is free
// (the display will show its devices as lost if they do not answer).
BusCheck judge_heartbeat(const std::string& bus_name, const HeartbeatObservation& seen);

// What listening on an RTU line before the first transmission heard.
BusCheck judge_rtu_listen(const std::string& bus_name, std::size_t bytes_heard,
                          std::int64_t listened_ms);

// How long the checks wait on a bus: more than a gateway's poll cycle (bus.cycle_ms) between the
// heartbeat reads; two poll periods and a margin of listening on RTU (at least 2.5 s).
std::int64_t heartbeat_spacing_ms(const model::Bus& bus);
std::int64_t rtu_listen_ms(const model::Bus& bus);

// The I/O: reads the MC heartbeat twice (TCP bus that carries the site's MC; TCP buses without
// one are free: Modbus TCP has no line to listen on) or listens on the RTU device. Sends no
// write. The buses are checked one after the other; the first refusal ends the check.
BusCheck check_bus(const model::Site& site, const model::Bus& bus);
std::vector<BusCheck> check_site_buses(const model::Site& site);

}  // namespace btms::hmi
