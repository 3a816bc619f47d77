#include "fieldbus/bus_worker.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include <modbus/modbus.h>

#include "devices/register_map.hpp"

namespace btms::fieldbus {

namespace dev = btms::devices;

BusWorker::BusWorker(model::Bus bus, std::vector<DevicePlan> plans, BusStatsChannels stats,
                     WorkerOptions options, PublishFn publish)
    : bus_(std::move(bus)),
      plans_(std::move(plans)),
      stats_(std::move(stats)),
      options_(std::move(options)),
      publish_(std::move(publish)),
      identities_(plans_.size()),
      read_buffers_(plans_.size()) {
  if (!options_.clock) options_.clock = model::system_clock();
  devices_.reserve(plans_.size());
  for (std::size_t i = 0; i < plans_.size(); ++i)
    devices_.push_back(DeviceState{DeviceHealth(options_.policy), {}, 0, false, false, 0});
}

BusWorker::~BusWorker() {
  stop();
}

void BusWorker::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void BusWorker::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BusWorker::enqueue(std::vector<RegisterWrite> writes) {
  if (options_.read_only) {
    // A listen-only worker never writes; whoever sent a command here is wired wrongly.
    if (dropped_writes_.fetch_add(writes.size()) == 0 && !writes.empty()) {
      spdlog::warn("fieldbus: bus '{}' is read-only: commands dropped", bus_.name);
    }
    return;
  }
  {
    std::lock_guard lock(queue_mutex_);
    for (auto& w : writes) queue_.push_back(PendingWrite{w, 0});
  }
  // A command (a string disconnect above all) must not wait for the next poll cycle.
  {
    std::lock_guard lock(wake_mutex_);
    commands_pending_ = true;
  }
  wake_.notify_all();
}

void BusWorker::run() {
  // Named "fb:<bus>" so top, gdb and the benchmark can tell the bus threads apart.
  pthread_setname_np(pthread_self(), ("fb:" + bus_.name).substr(0, 15).c_str());
  std::unique_ptr<ModbusLink> link;
  try {
    link = std::make_unique<ModbusLink>(bus_);
  } catch (const std::exception& e) {
    spdlog::error("fieldbus: {}", e.what());
    return;
  }
  // The cycle in real time: the clock's span of cycle_ms (shorter when the clock runs fast).
  const auto period = options_.clock->wall_span(bus_.cycle_ms);
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard lock(wake_mutex_);
      if (stopping_) break;
    }
    const auto start = std::chrono::steady_clock::now();
    run_cycle(*link);
    const auto end = std::chrono::steady_clock::now();
    // cycle_ms is what the bus really took (physical time: a performance figure of the bus).
    publish_cycle(std::chrono::duration<double, std::milli>(end - start).count());
    ++cycle_;
    cycles_.store(cycle_);

    std::chrono::steady_clock::time_point wake_at = end;
    if (bus_.cycle_ms > 0) {
      next += period;
      // A cycle that overran starts the next one at once rather than trying to catch up.
      if (next < end) {
        // An accelerated clock can ask for more than the bus can do: the cycles then run back to
        // back and the gateway sees fewer samples per clock second than configured. Said once,
        // when it lasts (ten cycles in a row), not for one slow cycle on a busy machine.
        overrun_real_ms_ += std::chrono::duration<double, std::milli>(end - start).count();
        if (++overruns_in_row_ == kOverrunsToLog && !overrun_logged_) {
          overrun_logged_ = true;
          const double real_ms = overrun_real_ms_ / kOverrunsToLog;
          spdlog::warn(
              "fieldbus: bus '{}' cannot keep up with a {} ms cycle at clock rate x{:g} ({:.3g} "
              "ms real): a cycle takes {:.1f} ms real, so it polls back to back, one cycle every "
              "{:.0f} ms of clock time",
              bus_.name, bus_.cycle_ms, options_.clock->rate(),
              std::chrono::duration<double, std::milli>(period).count(), real_ms,
              real_ms * options_.clock->rate());
        }
        next = end;
      }
      if (next > end) {
        overruns_in_row_ = 0;
        overrun_real_ms_ = 0.0;
      }
      wake_at = next;
    } else if (!link->connected()) {
      wake_at = end + std::chrono::milliseconds(std::max(bus_.timeout_ms, 50));  // no busy retry
    }
    std::unique_lock lock(wake_mutex_);
    while (!stopping_) {
      if (!wake_.wait_until(lock, wake_at, [this] { return stopping_ || commands_pending_; })) {
        break;  // time for the next cycle
      }
      if (stopping_) break;
      // Commands arrived between cycles: send them now, then keep waiting for the cycle.
      commands_pending_ = false;
      lock.unlock();
      if (!options_.read_only && link->ensure_connected()) send_commands(*link);
      lock.lock();
    }
  }
}

void BusWorker::run_cycle(ModbusLink& link) {
  const bool was_connected = link.connected();
  if (!link.ensure_connected()) {
    // The bus itself is down: every device missed its read.
    if (was_connected || cycle_ == 0)
      spdlog::warn("fieldbus: bus '{}' cannot be opened", bus_.name);
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      if (devices_[i].health.due(cycle_)) devices_[i].health.on_failure(cycle_);
    }
    return;
  }
  if (!options_.read_only) {
    send_commands(link);
    feed_watchdog(link);
    if (bus_.broadcast_sample) link.broadcast_write(dev::common::kSampleNow, 1);
  }
  if (link.is_tcp() && bus_.pipeline_depth > 1) {
    poll_pipelined(link);
    return;
  }
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (!devices_[i].health.due(cycle_)) continue;
    poll_device(link, i, options_.clock->now_ms());
  }
}

void BusWorker::send_commands(ModbusLink& link) {
  if (options_.mc_on_bus && !masks_seeded_) {
    // Start from the outputs the MC is already commanded to, so a restart of the gateway does
    // not release relays that an earlier run (or the commissioning) energized. Two reads: the
    // registers between the relay command and the BM-LC commands do not exist.
    std::array<std::uint16_t, 1> relay{};
    std::array<std::uint16_t, model::kMaxLcPerMc> lc{};
    if (link.read_holding(options_.mc_address, dev::bm_mc::kRelayCommand, relay) ==
            LinkError::none &&
        link.read_holding(options_.mc_address, dev::bm_mc::kLcCommandBase, lc) == LinkError::none) {
      commanded_masks_[dev::bm_mc::kRelayCommand] = relay[0];
      for (int j = 1; j <= model::kMaxLcPerMc; ++j) {
        commanded_masks_[dev::bm_mc::lc_command(j)] = lc[static_cast<std::size_t>(j - 1)];
      }
      masks_seeded_ = true;
    }
  }
  std::deque<PendingWrite> pending;
  {
    std::lock_guard lock(queue_mutex_);
    pending.swap(queue_);
  }
  std::deque<PendingWrite> retry;
  for (auto& p : pending) {
    auto& w = p.write;
    if (w.mask != 0 && !masks_seeded_) {
      // Without the current mask a bit update would overwrite the other outputs: wait.
      retry.push_back(p);
      continue;
    }
    const std::uint16_t value = w.mask != 0 ? apply_mask(commanded_masks_[w.reg], w) : w.value;
    const auto err = link.write_register(w.address, w.reg, value);
    if (err == LinkError::none) {
      if (w.mask != 0) commanded_masks_[w.reg] = value;
      continue;
    }
    if (err == LinkError::timeout) ++timeouts_;
    if (err == LinkError::crc) ++crc_errors_;
    ++errors_;
    if (++p.attempts < options_.max_command_attempts) {
      retry.push_back(p);
    } else {
      spdlog::warn(
          "fieldbus: bus '{}': write of register {} at address {} failed {} times, dropped",
          bus_.name, w.reg, w.address, p.attempts);
    }
  }
  if (!retry.empty()) {
    std::lock_guard lock(queue_mutex_);
    for (auto it = retry.rbegin(); it != retry.rend(); ++it) queue_.push_front(*it);
  }
}

void BusWorker::feed_watchdog(ModbusLink& link) {
  if (!options_.mc_on_bus) return;
  ++heartbeat_;
  const std::array<std::uint16_t, 2> regs{heartbeat_,
                                          static_cast<std::uint16_t>(options_.watchdog_timeout_s)};
  const auto err = link.write_registers(options_.mc_address, dev::bm_mc::kHeartbeat, regs);
  if (err != LinkError::none) {
    ++errors_;
    if (err == LinkError::timeout) ++timeouts_;
    if (err == LinkError::crc) ++crc_errors_;
  }
}

void BusWorker::count_error(std::size_t index, LinkError error) {
  ++errors_;
  ++devices_[index].errors;
  if (error == LinkError::timeout) ++timeouts_;
  if (error == LinkError::crc) ++crc_errors_;
}

bool BusWorker::identity_due(std::size_t index) const {
  return !devices_[index].identity_checked ||
         (options_.identity_every_cycles > 0 &&
          cycle_ % static_cast<std::uint64_t>(options_.identity_every_cycles) == 0);
}

void BusWorker::poll_device(ModbusLink& link, std::size_t index, std::int64_t now_ms) {
  const auto& plan = plans_[index];
  if (identity_due(index)) {
    std::array<std::uint16_t, dev::common::kIdentityCount> id{};
    const auto err = link.read_input(plan.device.address, dev::common::kIdentityStart, id);
    if (!accept_identity(index, err, id)) return;
  }
  const auto& map = dev::map_of(plan.device.type);
  block_.assign(map.fast.count, 0);
  const auto err = link.read_input(plan.device.address, map.fast.start, block_);
  accept_fast(index, err, block_, now_ms);
}

void BusWorker::poll_pipelined(ModbusLink& link) {
  // Every due device's reads of this cycle (its identity when due, then its fast block), sent
  // in windows of pipeline_depth; the answers are then taken device by device in bus order,
  // exactly as one-at-a-time polling takes them.
  requests_.clear();
  request_of_.assign(plans_.size(), Requested{});
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (!devices_[i].health.due(cycle_)) continue;
    const auto& plan = plans_[i];
    auto& buffers = read_buffers_[i];
    if (identity_due(i)) {
      request_of_[i].identity = requests_.size();
      requests_.push_back(ReadRequest{plan.device.address, MODBUS_FC_READ_INPUT_REGISTERS,
                                      dev::common::kIdentityStart, buffers.identity});
    }
    const auto& map = dev::map_of(plan.device.type);
    buffers.fast.assign(map.fast.count, 0);
    request_of_[i].fast = requests_.size();
    requests_.push_back(ReadRequest{plan.device.address, MODBUS_FC_READ_INPUT_REGISTERS,
                                    map.fast.start, buffers.fast});
  }
  if (requests_.empty()) return;
  link.read_pipelined(requests_, bus_.pipeline_depth);
  const auto now_ms = options_.clock->now_ms();
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    const auto& asked = request_of_[i];
    if (asked.fast == Requested::kNone) continue;
    if (asked.identity != Requested::kNone &&
        !accept_identity(i, requests_[asked.identity].result, read_buffers_[i].identity)) {
      continue;
    }
    accept_fast(i, requests_[asked.fast].result, read_buffers_[i].fast, now_ms);
  }
}

bool BusWorker::accept_identity(std::size_t index, LinkError err,
                                std::span<const std::uint16_t> id) {
  auto& state = devices_[index];
  const auto& plan = plans_[index];
  if (err != LinkError::none) {
    count_error(index, err);
    state.health.on_failure(cycle_);
    return false;
  }
  const bool wrong = dev::device_type_from_code(id[0]) != plan.device.type;
  if (wrong && !state.wrong_type) {
    spdlog::warn("fieldbus: bus '{}' address {} ({}) answers as type {}, expected {}", bus_.name,
                 plan.device.address, plan.device.label, id[0], dev::device_code(plan.device.type));
  }
  // Serial (registers 102-103): another device answering at this address, or the same
  // device answering at two, is not the configured device (device_identity.hpp).
  const auto serial = (static_cast<std::uint32_t>(id[2]) << 16) | id[3];
  const auto verdict = identities_.observe(index, serial);
  if (verdict == IdentityVerdict::serial_changed || verdict == IdentityVerdict::duplicate ||
      verdict == IdentityVerdict::replaced) {
    spdlog::warn("fieldbus: bus '{}' address {} ({}) reports serial {}: {}", bus_.name,
                 plan.device.address, plan.device.label, serial,
                 verdict == IdentityVerdict::duplicate ? "another address reports it too"
                 : verdict == IdentityVerdict::replaced
                     ? "device replaced, new serial adopted"
                     : "not the serial seen before; values invalid until confirmed");
  }
  state.wrong_type = wrong;
  state.identity_checked = true;
  return true;
}

void BusWorker::accept_fast(std::size_t index, LinkError err, std::span<const std::uint16_t> block,
                            std::int64_t now_ms) {
  auto& state = devices_[index];
  if (err != LinkError::none) {
    count_error(index, err);
    state.health.on_failure(cycle_);
    return;
  }
  auto decoded = decode_fast(plans_[index], block);
  // Asked at every read: a duplicate found at a later address of this cycle counts at once.
  if (state.wrong_type || !identities_.trusted(index)) {
    // Another device type answers at this address: its registers mean something else.
    for (auto& r : decoded.readings) r.quality = model::Quality::invalid;
  }
  state.last = std::move(decoded.readings);
  state.time_ms = now_ms;
  state.health.on_success(cycle_, decoded.sample_counter);
}

void BusWorker::publish_cycle(double cycle_ms) {
  const auto now = options_.clock->now_ms();
  updates_.clear();
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const auto& d = devices_[i];
    for (const auto& r : d.last) {
      updates_.push_back(
          {r.channel, model::Sample{r.value, d.time_ms, d.health.effective(r.quality, cycle_)}});
    }
    if (i < stats_.device_errors.size()) {
      updates_.push_back({stats_.device_errors[i],
                          model::Sample{static_cast<double>(d.errors), now, model::Quality::ok}});
    }
  }
  updates_.push_back({stats_.cycle_ms, model::Sample{cycle_ms, now, model::Quality::ok}});
  updates_.push_back(
      {stats_.errors, model::Sample{static_cast<double>(errors_), now, model::Quality::ok}});
  updates_.push_back(
      {stats_.timeouts, model::Sample{static_cast<double>(timeouts_), now, model::Quality::ok}});
  updates_.push_back({stats_.crc_errors,
                      model::Sample{static_cast<double>(crc_errors_), now, model::Quality::ok}});
  publish_(updates_);
}

}  // namespace btms::fieldbus
