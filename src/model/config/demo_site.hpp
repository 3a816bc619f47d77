// The demo plant built in code, so `btms demo` runs without any file. config/demo-site.toml
// describes the same plant (a test keeps the two equal).
#pragma once

#include "model/topology.hpp"

namespace btms::model {

// 2 UPSs, 4 strings of 40 x 12 V 100 Ah VRLA; one Modbus TCP bus per string on 127.0.0.1
// ports 15021..15024, the MC on its own bus at port 15020.
Site demo_site();

}  // namespace btms::model
