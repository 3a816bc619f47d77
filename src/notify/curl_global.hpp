// What every channel's libcurl transfer shares: the process-wide initialization, done once
// before the first handle (it is not thread-safe itself, and channel workers start in
// parallel), and the limits of one transfer.
#pragma once

#include <curl/curl.h>

#include <atomic>

namespace btms::notify {
void curl_global_once();
// For CURLOPT_XFERINFOFUNCTION: aborts the transfer once the std::atomic<bool> at data is true.
int curl_cancel_check(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
// Connect and whole-transfer timeout, no signals (worker threads), abort once *cancel is true
// (cancel may be null), libcurl's message into error (CURL_ERROR_SIZE bytes).
void set_transfer_limits(CURL* c, long timeout_ms, const std::atomic<bool>* cancel, char* error);
}  // namespace btms::notify
