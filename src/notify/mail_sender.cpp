// Mail through libcurl's SMTP client: STARTTLS required unless disabled, implicit TLS for
// smtps://, login when configured, a multipart/alternative body (plain text and HTML).
#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <random>

#include "model/clock.hpp"
#include "notify/curl_global.hpp"
#include "notify/sender.hpp"

namespace btms::notify {
namespace {

std::string base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// RFC 2047: a subject with degree signs and names in any language survives every mail system.
std::string encoded_header_text(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return std::string(text);
  return "=?UTF-8?B?" + base64(text) + "?=";
}

// Real time, not the plant's: mail servers and clients judge the Date header.
std::string rfc5322_date() {
  const auto now = static_cast<std::time_t>(model::system_clock()->now_ms() / 1000);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

std::string domain_of(const std::string& address) {
  const auto at = address.find('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

class MailSender final : public Sender {
 public:
  explicit MailSender(MailServer server) : server_(std::move(server)) { curl_global_once(); }

  SendOutcome send(const Notification& n, const Recipient& recipient) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return {false, true, "curl_easy_init failed"};
    CURL* c = curl.get();
    char error[CURL_ERROR_SIZE] = {0};
    const std::string from = "<" + server_.from + ">";
    curl_easy_setopt(c, CURLOPT_URL, server_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
        curl_slist_append(nullptr, ("<" + recipient.address + ">").c_str()), curl_slist_free_all);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    // STARTTLS: CURLUSESSL_ALL makes curl refuse to go on when the server does not offer it.
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     server_.security == MailSecurity::none ? static_cast<long>(CURLUSESSL_NONE)
                                                            : static_cast<long>(CURLUSESSL_ALL));
    if (!server_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, server_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, server_.password.c_str());
    }
    if (!server_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, server_.ca_file.c_str());
    set_transfer_limits(c, server_.timeout_ms, cancel_, error);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");

    curl_slist* headers = nullptr;
    const auto add = [&](const std::string& h) { headers = curl_slist_append(headers, h.c_str()); };
    add("Date: " + rfc5322_date());
    add("From: BTMS <" + server_.from + ">");
    add("To: " + recipient.address);
    add("Subject: " + encoded_header_text(n.subject));
    // The outbox's id, the same on every try and after a restart: mail clients and archives
    // drop a second copy with the same Message-ID.
    add(n.message_id.empty()
            ? fmt::format("Message-ID: <btms-{}-{}@{}>", n.time_ms, std::random_device{}(),
                          domain_of(server_.from))
            : fmt::format("Message-ID: <{}@{}>", n.message_id, domain_of(server_.from)));
    add("X-BTMS-Group: " + n.group);
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                             curl_slist_free_all);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    std::unique_ptr<curl_mime, decltype(&curl_mime_free)> mime(curl_mime_init(c), curl_mime_free);
    curl_mime* alternative = curl_mime_init(c);
    curl_mimepart* part = curl_mime_addpart(alternative);
    curl_mime_data(part, n.text.c_str(), CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    part = curl_mime_addpart(alternative);
    const std::string html = "<html><body>" + n.html + "</body></html>";
    curl_mime_data(part, html.c_str(), CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    part = curl_mime_addpart(mime.get());
    curl_mime_subparts(part, alternative);  // owned by mime from here on
    curl_mime_type(part, "multipart/alternative");
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());

    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK) return {true, false, fmt::format("SMTP {}", status)};
    // Wrong credentials, a server without STARTTLS or a refused address will refuse again.
    const bool retry = rc != CURLE_LOGIN_DENIED && rc != CURLE_USE_SSL_FAILED &&
                       rc != CURLE_SEND_FAIL_REWIND && !(status >= 500 && status < 600);
    return {false, retry,
            fmt::format("{}{}{}", curl_easy_strerror(rc), error[0] ? std::string(": ") + error : "",
                        status ? fmt::format(" (SMTP {})", status) : "")};
  }

 private:
  MailServer server_;
};

}  // namespace

std::unique_ptr<Sender> make_mail_sender(MailServer server) {
  return std::make_unique<MailSender>(std::move(server));
}

}  // namespace btms::notify
