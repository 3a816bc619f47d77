// libcurl's process-wide initialization, done once before the first handle (it is not
// thread-safe itself, and channel workers start in parallel).
#pragma once

#include <curl/curl.h>

namespace btms::notify {
void curl_global_once();
// For CURLOPT_XFERINFOFUNCTION: aborts the transfer once the std::atomic<bool> at data is true.
int curl_cancel_check(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
}  // namespace btms::notify
