// Fuzzes the field bus master's check of a Modbus TCP answer (fieldbus/modbus_link.hpp,
// check_read_answer): whatever a device, gateway or attacker on the bus sends back, the check
// never reads past the answer, and it accepts only an answer of the asked transaction, unit
// and function whose byte count is exactly the registers asked for.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "fieldbus/modbus_link.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first three bytes choose the request (unit, function, count); the rest is the answer.
  if (size < 3) return 0;
  const int unit = data[0];
  const int function = data[1] % 2 == 0 ? 3 : 4;
  const std::size_t count = 1 + data[2] % 125;
  const std::span<const std::uint8_t> answer(data + 3, size - 3);
  std::array<std::uint16_t, 125> out{};
  const std::uint16_t transaction =
      answer.size() >= 2 ? static_cast<std::uint16_t>((answer[0] << 8) | answer[1]) : 0;
  const auto result = btms::fieldbus::check_read_answer(answer, transaction, unit, function,
                                                        std::span(out.data(), count));
  if (result == btms::fieldbus::AnswerCheck::ok) {
    const bool exact = answer.size() == 9 + 2 * count && answer[6] == unit &&
                       answer[7] == function && answer[8] == 2 * count;
    if (!exact) {
      std::fprintf(stderr, "fuzz_field_answers: accepted an answer that does not fit\n");
      std::abort();
    }
  }
  return 0;
}
