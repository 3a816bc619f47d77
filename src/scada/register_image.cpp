#include "scada/register_image.hpp"

#include <cmath>
#include <optional>

namespace btms::scada {

namespace {
constexpr std::uint8_t kNoChannel = 0;  // the site does not configure this value's source
constexpr std::uint8_t kPlant = 1;
constexpr std::uint8_t kDerived = 2;
}  // namespace

// One register definition of one unit (or battery), with its channel resolved.
struct Slot {
  std::uint16_t address = 0;
  const RegisterDef* def = nullptr;
  std::uint8_t snapshot = kNoChannel;       // kPlant / kDerived
  std::optional<model::ChannelId> channel;  // nullopt: missing from the directory
  std::uint16_t config_value = 0;           // for Source::config
};

// A UPS, a string's own registers, or one battery: the registers that share a status.
struct Group {
  int unit_id = 0;
  bool exists = false;
  std::vector<Slot> slots;
};

struct RegisterImageBuilder::Plan {
  const model::ChannelDirectory* plant_dir = nullptr;
  const model::ChannelDirectory* derived_dir = nullptr;
  std::vector<Group> groups;
  bool valid = false;
};

std::span<const std::uint16_t> RegisterImage::unit(int unit_id) const {
  if (unit_id < 0 || unit_id >= static_cast<int>(units_.size())) return {};
  return units_[static_cast<std::size_t>(unit_id)];
}

RegisterImageBuilder::RegisterImageBuilder(std::shared_ptr<const model::Site> site)
    : site_(std::move(site)), plan_(std::make_unique<Plan>()) {}

RegisterImageBuilder::~RegisterImageBuilder() = default;

void RegisterImageBuilder::make_plan(const model::ChannelDirectory* plant_dir,
                                     const model::ChannelDirectory* derived_dir) {
  const auto& site = *site_;
  Plan plan;
  plan.plant_dir = plant_dir;
  plan.derived_dir = derived_dir;
  plan.valid = true;

  const auto add_group = [&](UnitKind kind, int unit_id, bool exists, int base, int ups, int string,
                             int battery) {
    Group group;
    group.unit_id = unit_id;
    group.exists = exists;
    const auto* string_cfg = site.find_string(string);
    for (const auto& def : register_defs(kind)) {
      Slot slot;
      slot.address = static_cast<std::uint16_t>(base + def.offset);
      slot.def = &def;
      if (def.source == Source::config) {
        if (exists && string_cfg != nullptr) {
          slot.config_value = static_cast<std::uint16_t>(
              def.pattern == "ups_id" ? string_cfg->ups_id : string_cfg->batteries);
        }
      } else if (def.source != Source::quality && def.source != Source::command && exists) {
        const bool from_plant = def.source == Source::plant;
        if (auto name = channel_for(def, site, ups, string, battery)) {
          slot.snapshot = from_plant ? kPlant : kDerived;
          const auto* dir = from_plant ? plant_dir : derived_dir;
          if (dir != nullptr) slot.channel = dir->find(*name);
        }
      }
      group.slots.push_back(slot);
    }
    plan.groups.push_back(std::move(group));
  };

  for (int u = 1; u <= model::kMaxUpsPerGateway; ++u) {
    add_group(UnitKind::ups, u, site.find_ups(u) != nullptr, 0, u, 0, 0);
  }
  for (int s = 1; s <= model::kMaxStringsPerGateway; ++s) {
    const auto* cfg = site.find_string(s);
    const int unit_id = kStringUnitBase + s;
    add_group(UnitKind::string, unit_id, cfg != nullptr, 0, 0, s, 0);
    for (int b = 1; b <= model::kMaxBatteriesPerString; ++b) {
      const bool exists = cfg != nullptr && b <= cfg->batteries;
      add_group(UnitKind::battery, unit_id, exists, kBatteryStride * b, 0, s, b);
    }
  }
  *plan_ = std::move(plan);
}

namespace {

std::uint16_t quality_bit(model::Quality quality) {
  switch (quality) {
    case model::Quality::ok:
      return 0;
    case model::Quality::stale:
      return kQualityStale;
    case model::Quality::comm_lost:
      return kQualityCommLost;
    case model::Quality::invalid:
      return kQualityInvalid;
  }
  return kQualityInvalid;
}

void put(std::vector<std::uint16_t>& regs, std::uint16_t address, RegType type, std::uint32_t raw) {
  if (type == RegType::s32) {
    regs[address] = static_cast<std::uint16_t>(raw >> 16);  // high word first
    regs[address + 1u] = static_cast<std::uint16_t>(raw & 0xFFFFu);
  } else {
    regs[address] = static_cast<std::uint16_t>(raw);
  }
}

// The sample of a slot when it is fresh; otherwise the quality bit explaining why not.
struct Lookup {
  const model::Sample* sample = nullptr;
  std::uint16_t why_not = 0;
};

Lookup lookup(const Slot& slot, const model::Snapshot* plant, const model::Snapshot* derived) {
  const auto* snapshot = slot.snapshot == kPlant ? plant : derived;
  if (snapshot == nullptr || !slot.channel || *slot.channel >= snapshot->samples.size()) {
    return {nullptr, kQualityMissing};
  }
  const auto& sample = snapshot->samples[*slot.channel];
  if (sample.quality != model::Quality::ok) return {nullptr, quality_bit(sample.quality)};
  return {&sample, 0};
}

}  // namespace

std::shared_ptr<const RegisterImage> RegisterImageBuilder::build(const model::Snapshot* plant,
                                                                 const model::Snapshot* derived) {
  const auto* plant_dir = plant != nullptr ? plant->channels.get() : nullptr;
  const auto* derived_dir = derived != nullptr ? derived->channels.get() : nullptr;
  if (!plan_->valid || plan_->plant_dir != plant_dir || plan_->derived_dir != derived_dir) {
    make_plan(plant_dir, derived_dir);
  }
  auto image = std::make_shared<RegisterImage>();
  image->plant_sequence_ = plant != nullptr ? plant->sequence : 0;
  image->derived_sequence_ = derived != nullptr ? derived->sequence : 0;
  for (int u = kFirstUpsUnit; u <= kLastUpsUnit; ++u) {
    image->units_[static_cast<std::size_t>(u)].assign(
        static_cast<std::size_t>(address_space_size(UnitKind::ups)), 0);
  }
  for (int u = kFirstStringUnit; u <= kLastStringUnit; ++u) {
    image->units_[static_cast<std::size_t>(u)].assign(
        static_cast<std::size_t>(address_space_size(UnitKind::string)), 0);
  }

  for (const auto& group : plan_->groups) {
    auto& regs = image->units_[static_cast<std::size_t>(group.unit_id)];
    std::uint16_t quality = group.exists ? 0 : kQualityMissing;
    std::uint16_t plant_quality = 0;  // of the counted values read from the field devices
    const Slot* status_slot = nullptr;
    const Slot* quality_slot = nullptr;
    for (const auto& slot : group.slots) {
      const auto& def = *slot.def;
      switch (def.source) {
        case Source::status:
          status_slot = &slot;
          break;
        case Source::quality:
          quality_slot = &slot;
          break;
        case Source::config:
          put(regs, slot.address, def.type, slot.config_value);
          break;
        case Source::command:
          break;  // write-only acknowledgement registers read 0
        case Source::plant:
        case Source::derived: {
          const auto found = lookup(slot, plant, derived);
          const bool configured = slot.snapshot != kNoChannel;
          if (found.sample != nullptr) {
            put(regs, slot.address, def.type, encode(def.type, found.sample->value, def.scale));
          } else {
            put(regs, slot.address, def.type, not_available(def.type));
            if (configured && def.counts_for_status) {
              quality |= found.why_not;
              if (def.source == Source::plant) plant_quality |= found.why_not;
            }
          }
          break;
        }
      }
    }
    if (status_slot != nullptr) {
      std::uint16_t status = 0;  // disabled
      if (group.exists) {
        const auto found = lookup(*status_slot, plant, derived);
        if (found.sample == nullptr) {
          quality |= found.why_not;
          status = 2;
        } else {
          const auto engine = static_cast<long>(std::lround(found.sample->value));
          if (engine == 0) {
            status = 0;
          } else if (engine == 1 && quality == 0) {
            status = 1;
          } else if (engine == 3 && plant_quality == 0) {
            status = 3;  // initializing: values still being learned are not an error
          } else {
            status = 2;
          }
        }
      }
      put(regs, status_slot->address, RegType::u16, status);
    }
    if (quality_slot != nullptr) put(regs, quality_slot->address, RegType::bits, quality);
  }
  return image;
}

std::shared_ptr<const RegisterImage> build_register_image(const model::Snapshot* plant,
                                                          const model::Snapshot* derived,
                                                          const model::Site& site) {
  RegisterImageBuilder builder(std::make_shared<const model::Site>(site));
  return builder.build(plant, derived);
}

}  // namespace btms::scada
