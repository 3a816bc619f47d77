#include "scada/modbus_frame.hpp"

#include <gtest/gtest.h>

#include <random>

#include "scada_fixture.hpp"

namespace btms::scada {
namespace {

std::vector<std::uint8_t> read_request(std::uint8_t unit, std::uint8_t function,
                                       std::uint16_t address, std::uint16_t quantity) {
  return {0x12,
          0x34,
          0,
          0,
          0,
          6,
          unit,
          function,
          static_cast<std::uint8_t>(address >> 8),
          static_cast<std::uint8_t>(address),
          static_cast<std::uint8_t>(quantity >> 8),
          static_cast<std::uint8_t>(quantity)};
}

class ModbusFrame : public ::testing::Test {
 protected:
  testing::Fixture f;
  std::shared_ptr<const RegisterImage> image;
  void SetUp() override {
    f.set_plant("battery/1/1/voltage", 13.2);
    image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  }
  std::vector<std::uint8_t> answer(const std::vector<std::uint8_t>& adu) {
    std::vector<std::uint8_t> out;
    EXPECT_TRUE(handle_request(adu, image.get(), out));
    return out;
  }
};

TEST_F(ModbusFrame, ScanFrame) {
  const auto req = read_request(101, 3, 0, 1);
  EXPECT_EQ(scan_frame(std::span(req).first(6)).state, FrameState::incomplete);
  EXPECT_EQ(scan_frame(std::span(req).first(11)).state, FrameState::incomplete);
  EXPECT_EQ(scan_frame(req).state, FrameState::complete);
  EXPECT_EQ(scan_frame(req).size, 12u);
  auto bad = req;
  bad[2] = 1;  // protocol id
  EXPECT_EQ(scan_frame(bad).state, FrameState::malformed);
  bad = req;
  bad[4] = 0xFF;  // huge length
  EXPECT_EQ(scan_frame(bad).state, FrameState::malformed);
  bad = req;
  bad[5] = 1;  // no function code
  EXPECT_EQ(scan_frame(bad).state, FrameState::malformed);
}

TEST_F(ModbusFrame, ReadsBothFunctionsFromTheSameImage) {
  for (std::uint8_t fc : {3, 4}) {
    const auto out = answer(read_request(101, fc, 100, 2));
    const std::vector<std::uint8_t> expected{0x12, 0x34, 0, 0, 0, 7, 101, fc, 4, 0, 1, 0x33, 0x90};
    EXPECT_EQ(out, expected);
  }
}

struct ExceptionCase {
  std::uint8_t unit, function;
  std::uint16_t address, quantity;
  std::uint8_t code;
};

TEST_F(ModbusFrame, Exceptions) {
  const ExceptionCase cases[] = {
      {50, 3, 0, 1, kGatewayTargetFailed}, {0, 3, 0, 1, kGatewayTargetFailed},
      {101, 6, 0, 1, kIllegalFunction},    {101, 16, 0, 1, kIllegalFunction},
      {101, 1, 0, 1, kIllegalFunction},    {101, 3, 0, 0, kIllegalDataValue},
      {101, 3, 0, 126, kIllegalDataValue}, {101, 3, 12011, 2, kIllegalDataAddress},
      {1, 4, 11, 2, kIllegalDataAddress},  {1, 4, 0xFFFF, 125, kIllegalDataAddress},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << int(c.unit) << " fc " << int(c.function) << " @"
                                      << c.address << " x" << c.quantity);
    const auto out = answer(read_request(c.unit, c.function, c.address, c.quantity));
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(out[5], 3);
    EXPECT_EQ(out[7], c.function | 0x80);
    EXPECT_EQ(out[8], c.code);
  }
  EXPECT_EQ(answer(read_request(101, 3, 12011, 1)).size(), 11u);  // last address is fine
  EXPECT_EQ(answer(read_request(1, 3, 0, 10)).size(), 9u + 20u);
}

// Records what the frame layer decoded and answers a chosen code.
struct RecordingWriter final : RegisterWriter {
  std::uint8_t answer = 0;
  int calls = 0;
  int unit_id = -1;
  std::uint16_t address = 0;
  std::vector<std::uint16_t> values;
  std::uint8_t write_registers(int unit, std::uint16_t at,
                               std::span<const std::uint16_t> written) override {
    ++calls;
    unit_id = unit;
    address = at;
    values.assign(written.begin(), written.end());
    return answer;
  }
};

std::vector<std::uint8_t> write_single(std::uint8_t unit, std::uint16_t address,
                                       std::uint16_t value) {
  return read_request(unit, kWriteSingleRegister, address, value);  // same layout as a read
}

// Function 16 with `values`; byte_count as given (normally 2 per value).
std::vector<std::uint8_t> write_multiple(std::uint8_t unit, std::uint16_t address,
                                         std::uint16_t quantity,
                                         const std::vector<std::uint16_t>& values,
                                         std::uint8_t byte_count) {
  std::vector<std::uint8_t> adu{0x12,
                                0x34,
                                0,
                                0,
                                0,
                                static_cast<std::uint8_t>(7 + 2 * values.size()),
                                unit,
                                kWriteMultipleRegisters,
                                static_cast<std::uint8_t>(address >> 8),
                                static_cast<std::uint8_t>(address),
                                static_cast<std::uint8_t>(quantity >> 8),
                                static_cast<std::uint8_t>(quantity),
                                byte_count};
  for (auto v : values) {
    adu.push_back(static_cast<std::uint8_t>(v >> 8));
    adu.push_back(static_cast<std::uint8_t>(v));
  }
  return adu;
}

TEST_F(ModbusFrame, WriteSingleRegisterEchoesTheRequestWhenAccepted) {
  RecordingWriter writer;
  const auto request = write_single(101, 24, 0xA5A5);
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(handle_request(request, image.get(), out, &writer));
  EXPECT_EQ(out, request);
  EXPECT_EQ(writer.unit_id, 101);
  EXPECT_EQ(writer.address, 24);
  EXPECT_EQ(writer.values, std::vector<std::uint16_t>{0xA5A5});
}

TEST_F(ModbusFrame, WriteMultipleRegistersAnswersAddressAndQuantity) {
  RecordingWriter writer;
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(handle_request(write_multiple(1, 10, 1, {0xA5A5}, 2), image.get(), out, &writer));
  const std::vector<std::uint8_t> expected{0x12, 0x34, 0, 0, 0, 6, 1, 0x10, 0, 10, 0, 1};
  EXPECT_EQ(out, expected);
  EXPECT_EQ(writer.values, std::vector<std::uint16_t>{0xA5A5});
  // Quantity and byte count disagree: the writer sees no values and decides (here 03).
  writer.answer = kIllegalDataValue;
  out.clear();
  ASSERT_TRUE(handle_request(write_multiple(1, 10, 2, {0xA5A5}, 2), image.get(), out, &writer));
  EXPECT_TRUE(writer.values.empty());
  ASSERT_EQ(out.size(), 9u);
  EXPECT_EQ(out[7], 0x90);
  EXPECT_EQ(out[8], kIllegalDataValue);
}

TEST_F(ModbusFrame, WriteRefusalsBecomeExceptionsAndUnknownUnitsNeverReachTheWriter) {
  RecordingWriter writer;
  for (std::uint8_t code :
       {kIllegalFunction, kIllegalDataAddress, kIllegalDataValue, kServerDeviceFailure}) {
    writer.answer = code;
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(handle_request(write_single(101, 24, 1), image.get(), out, &writer));
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(out[7], 0x86);
    EXPECT_EQ(out[8], code);
  }
  const int calls = writer.calls;
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(handle_request(write_single(50, 24, 0xA5A5), image.get(), out, &writer));
  EXPECT_EQ(out[8], kGatewayTargetFailed);
  EXPECT_EQ(writer.calls, calls);
}

// Issue 17 item 14: a write PDU whose length does not fit its function is answered with
// exception 03 (illegal data value) and the connection stays, as the Modbus specification asks.
TEST_F(ModbusFrame, MalformedWritesAnswerException03) {
  RecordingWriter writer;
  auto short_single = write_single(101, 24, 0xA5A5);
  short_single.pop_back();
  short_single[5] = 5;
  auto wrong_count = write_multiple(101, 24, 1, {0xA5A5}, 4);  // byte count past the frame
  auto no_byte_count = write_multiple(101, 24, 1, {0xA5A5}, 2);
  no_byte_count.resize(12);  // function, address, quantity only
  no_byte_count[5] = 6;
  for (const auto* adu : {&short_single, &wrong_count, &no_byte_count}) {
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(handle_request(*adu, image.get(), out, &writer));
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(out[7], (*adu)[7] | 0x80);
    EXPECT_EQ(out[8], kIllegalDataValue);
  }
  EXPECT_EQ(writer.calls, 0);
}

TEST_F(ModbusFrame, ReadWithWrongPduLengthAnswersException03) {
  const std::vector<std::uint8_t> adu{0, 1, 0, 0, 0, 4, 101, 3, 0, 0};
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(handle_request(adu, image.get(), out));
  ASSERT_EQ(out.size(), 9u);
  EXPECT_EQ(out[7], 0x83);
  EXPECT_EQ(out[8], kIllegalDataValue);
}

TEST_F(ModbusFrame, AduWithoutFunctionClosesTheConnection) {
  const std::vector<std::uint8_t> adu{0, 1, 0, 0, 0, 1, 101};
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(handle_request(adu, image.get(), out));
  EXPECT_TRUE(out.empty());
}

// Random streams through scan + handle: never a crash or an answer that is not a valid ADU.
TEST_F(ModbusFrame, FuzzRandomStreams) {
  std::mt19937 rng(12345);
  RecordingWriter writer;  // writes (06, 16) are decoded too
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> stream(rng() % 300);
    for (auto& byte : stream) byte = static_cast<std::uint8_t>(rng());
    if (round % 2 == 0 && stream.size() >= 8) {  // mostly-valid headers reach the handler
      stream[2] = stream[3] = 0;
      stream[4] = 0;
      stream[5] = static_cast<std::uint8_t>(2 + rng() % 10);
      stream[6] = static_cast<std::uint8_t>(rng() % 2 ? 101 : rng());
      if (round % 4 == 0) stream[7] = rng() % 2 ? kWriteSingleRegister : kWriteMultipleRegisters;
    }
    std::span<const std::uint8_t> rest(stream);
    while (true) {
      const auto scan = scan_frame(rest);
      if (scan.state != FrameState::complete) break;
      ASSERT_LE(scan.size, rest.size());
      std::vector<std::uint8_t> out;
      writer.answer = static_cast<std::uint8_t>(rng() % 2 ? 0 : kIllegalDataValue);
      if (!handle_request(rest.first(scan.size), image.get(), out, &writer)) break;
      ASSERT_GE(out.size(), 9u);
      ASSERT_EQ(out.size(), 6u + ((out[4] << 8) | out[5]));
      rest = rest.subspan(scan.size);
    }
  }
}

TEST_F(ModbusFrame, AReadAnsweredFromAnyRegisterSpan) {
  const std::vector<std::uint16_t> regs{10, 11, 12, 13};
  std::vector<std::uint8_t> out;
  answer_read(read_request(1, 4, 1, 2), regs, out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x12, 0x34, 0, 0, 0, 7, 1, 4, 4, 0, 11, 0, 12}));
  out.clear();
  answer_read(read_request(1, 3, 3, 2), regs, out);  // past the end
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x12, 0x34, 0, 0, 0, 3, 1, 0x83, kIllegalDataAddress}));
  out.clear();
  answer_read(read_request(1, 3, 0, 0), regs, out);  // quantity 0
  EXPECT_EQ(out.back(), kIllegalDataValue);
}

TEST_F(ModbusFrame, ExceptionsAndTransactionIdsForAProxy) {
  std::vector<std::uint8_t> out;
  append_exception(out, 0xBEEF, 102, 0x03, kGatewayTargetFailed);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0xBE, 0xEF, 0, 0, 0, 3, 102, 0x83, 0x0B}));
  EXPECT_EQ(scan_frame(out).state, FrameState::complete);
  EXPECT_EQ(transaction_id(out), 0xBEEF);
  set_transaction_id(out, 0x0102);
  EXPECT_EQ(transaction_id(out), 0x0102);
  EXPECT_EQ(out[0], 0x01);
  EXPECT_EQ(out[1], 0x02);
}

}  // namespace
}  // namespace btms::scada
