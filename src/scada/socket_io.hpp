// Non-blocking socket reads and writes for the Modbus TCP servers and the aggregator's
// connection to a gateway: each takes what the socket has or accepts now and never waits, so
// one poll() thread can serve every connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace btms::scada {

struct ReceiveResult {
  std::size_t bytes = 0;     // appended to `in` by this call
  bool closed = false;       // the peer closed the connection or it broke (errno says which)
  bool peer_closed = false;  // closed by the peer (recv returned 0), not broken
};

// Appends everything the socket has now to `in`.
ReceiveResult receive_available(int fd, std::vector<std::uint8_t>& in);

// Sends out[out_sent..] as far as the socket takes it now, advancing out_sent; clears `out`
// (and out_sent) once all of it is sent. False when the connection is broken.
bool send_pending(int fd, std::vector<std::uint8_t>& out, std::size_t& out_sent);

}  // namespace btms::scada
