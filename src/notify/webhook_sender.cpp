// Webhook: an HTTP(S) POST of the Alertmanager-shaped JSON, signed with HMAC-SHA256.
#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "model/clock.hpp"
#include "notify/curl_global.hpp"
#include "notify/sender.hpp"
#include "notify/webhook_payload.hpp"

namespace btms::notify {

namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
  return size * count;
}

class WebhookSender final : public Sender {
 public:
  WebhookSender(RoutingSettings routing, SiteNames names, long timeout_ms)
      : routing_(std::move(routing)), names_(std::move(names)), timeout_ms_(timeout_ms) {
    curl_global_once();
  }

  SendOutcome send(const Notification& n, const Recipient& recipient) override {
    const std::string body = alertmanager_json(n, routing_, names_);
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return {false, true, "curl_easy_init failed"};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "User-Agent: btms-notify");
    // The receiver checks the signature over the exact bytes of the body; the timestamp lets it
    // refuse replays.
    // Real time, not the plant's: it is about this request's age at the receiver.
    const auto stamp = fmt::format("X-BTMS-Timestamp: {}", model::system_clock()->now_ms());
    headers = curl_slist_append(headers, stamp.c_str());
    // Same id on every try and after a restart: the receiver's key for dropping a duplicate.
    const auto id = "X-BTMS-Message-Id: " + n.message_id;
    if (!n.message_id.empty()) headers = curl_slist_append(headers, id.c_str());
    if (!recipient.secret.empty()) {
      headers = curl_slist_append(headers, fmt::format("{}: sha256={}", kSignatureHeader,
                                                       hmac_sha256_hex(recipient.secret, body))
                                               .c_str());
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                             curl_slist_free_all);
    char error[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, recipient.address.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    set_transfer_limits(c, timeout_ms_, cancel_, error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      return {false, true, fmt::format("{}: {}", curl_easy_strerror(rc), error)};
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {true, false, fmt::format("HTTP {}", status)};
    // A refused request (bad signature, unknown path) does not get better by repeating it;
    // a busy or broken server may.
    const bool retry = status >= 500 || status == 408 || status == 429;
    return {false, retry, fmt::format("HTTP {}", status)};
  }

 private:
  RoutingSettings routing_;
  SiteNames names_;
  long timeout_ms_;
};

}  // namespace

std::unique_ptr<Sender> make_webhook_sender(RoutingSettings routing, SiteNames names,
                                            long timeout_ms) {
  return std::make_unique<WebhookSender>(std::move(routing), std::move(names), timeout_ms);
}

}  // namespace btms::notify
