// libcurl's process-wide initialization, done once before the first handle (it is not
// thread-safe itself, and channel workers start in parallel).
#pragma once

namespace btms::notify {
void curl_global_once();
}
