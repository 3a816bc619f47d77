// The SCADA register image: every register of every unit, encoded from one plant snapshot, one
// engine snapshot and the site. Built by the SCADA server's own thread; readers share the
// finished image through a shared_ptr and never see one half-built.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "scada/scada_map.hpp"

namespace btms::scada {

class RegisterImage {
 public:
  // The registers of a unit ID (index = protocol address); empty when the unit is not served.
  std::span<const std::uint16_t> unit(int unit_id) const;
  std::uint64_t plant_sequence() const { return plant_sequence_; }
  std::uint64_t derived_sequence() const { return derived_sequence_; }

 private:
  friend class RegisterImageBuilder;
  std::vector<std::vector<std::uint16_t>> units_ = std::vector<std::vector<std::uint16_t>>(256);
  std::uint64_t plant_sequence_ = 0;
  std::uint64_t derived_sequence_ = 0;
};

// Resolves the map's channel names once per pair of channel directories (names are looked up
// only when a directory changes), then encodes snapshots quickly.
class RegisterImageBuilder {
 public:
  explicit RegisterImageBuilder(std::shared_ptr<const model::Site> site);
  ~RegisterImageBuilder();
  RegisterImageBuilder(const RegisterImageBuilder&) = delete;
  RegisterImageBuilder& operator=(const RegisterImageBuilder&) = delete;

  // plant or derived may be null: their values then read "not available".
  std::shared_ptr<const RegisterImage> build(const model::Snapshot* plant,
                                             const model::Snapshot* derived);

 private:
  struct Plan;
  void make_plan(const model::ChannelDirectory* plant_dir,
                 const model::ChannelDirectory* derived_dir);

  std::shared_ptr<const model::Site> site_;
  std::unique_ptr<Plan> plan_;
};

// One-shot convenience (resolves all names every call).
std::shared_ptr<const RegisterImage> build_register_image(const model::Snapshot* plant,
                                                          const model::Snapshot* derived,
                                                          const model::Site& site);

}  // namespace btms::scada
