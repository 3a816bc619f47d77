// docs/api.md is the API's contract: every plain GET example in it (`curl -s 'http://127.0.0.1:
// 8080/...'`) is run against a real `btms demo` (anonymous reads on loopback), and the answer
// must be 200 with at least the keys of the JSON shown after the example. So the document
// cannot drift from what the gateway answers.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "process.hpp"

using btms::e2e::ChildProcess;
using btms::e2e::http_get;
using btms::e2e::TempFolder;
using btms::e2e::wait_for_port;
using nlohmann::json;

namespace {

struct DocExample {
  int line = 0;
  std::string target;         // path and query, e.g. /api/v1/alarms
  std::optional<json> shape;  // the JSON shown after the example, "..." removed
  std::string shape_text;     // as written, for messages
};

// "..." stands for more of the same in the document; drop it so the rest parses.
std::string without_ellipses(std::string text) {
  text = std::regex_replace(text, std::regex(R"(\{\s*\.\.\.\s*\})"), "{}");
  text = std::regex_replace(text, std::regex(R"(\[\s*\.\.\.\s*\])"), "[]");
  return std::regex_replace(text, std::regex(R"(,\s*\.\.\.)"), "");
}

std::vector<DocExample> read_examples(const std::string& path) {
  std::ifstream in(path);
  const std::regex curl(R"(^curl -s '(http://127\.0\.0\.1:8080)(/[^']*)'\s*$)");
  std::vector<DocExample> examples;
  std::string line;
  std::string fence;  // language of the open code block, "" outside
  std::string json_text;
  bool waiting_for_shape = false;  // the latest example may still get a JSON block
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.starts_with("```")) {
      if (fence.empty()) {
        fence = line.size() > 3 ? line.substr(3) : "text";
        json_text.clear();
      } else {
        if (fence == "json" && waiting_for_shape) {
          examples.back().shape_text = json_text;
          examples.back().shape = json::parse(without_ellipses(json_text), nullptr, false);
          waiting_for_shape = false;
        }
        fence.clear();
      }
      continue;
    }
    if (fence == "sh") {
      std::smatch m;
      if (std::regex_match(line, m, curl)) {
        examples.push_back({number, m[2], std::nullopt, ""});
        waiting_for_shape = true;
      }
    } else if (fence == "json") {
      json_text += line + "\n";
    } else if (line.starts_with("#")) {
      waiting_for_shape = false;  // a JSON block under the next heading belongs to that one
    }
  }
  return examples;
}

// Every key the document shows must be in the answer, recursively; for arrays the first
// element of each is compared when both have one (lists may be empty on a fresh demo).
void expect_shape(const json& doc, const json& answer, const std::string& where,
                  std::vector<std::string>& problems) {
  if (doc.is_object()) {
    if (!answer.is_object()) {
      problems.push_back(where + ": expected an object, got " + answer.dump().substr(0, 80));
      return;
    }
    for (const auto& [key, value] : doc.items()) {
      if (!answer.contains(key)) {
        problems.push_back(where + ": missing key '" + key + "'");
        continue;
      }
      expect_shape(value, answer[key], where + "." + key, problems);
    }
  } else if (doc.is_array()) {
    if (!answer.is_array()) {
      problems.push_back(where + ": expected an array");
    } else if (!doc.empty() && !answer.empty()) {
      expect_shape(doc[0], answer[0], where + "[0]", problems);
    }
  } else if (doc.is_string() && !answer.is_string()) {
    problems.push_back(where + ": expected a string");
  } else if (doc.is_boolean() && !answer.is_boolean()) {
    problems.push_back(where + ": expected true/false");
  } else if (doc.is_number() && !answer.is_number() && !answer.is_null()) {
    problems.push_back(where + ": expected a number");  // null = not a finite value
  }
}

}  // namespace

TEST(ApiDocs, ReadsTheCurlExamplesAndTheirJson) {
  const auto examples = read_examples(std::string(BTMS_SOURCE_DIR) + "/docs/api.md");
  std::vector<std::string> targets;
  for (const auto& e : examples) targets.push_back(e.target);
  // The sections this test exists for; more examples are welcome.
  for (const char* wanted : {"/api/v1/alarms", "/api/v1/config"}) {
    EXPECT_NE(std::find(targets.begin(), targets.end(), wanted), targets.end()) << wanted;
  }
  EXPECT_GE(examples.size(), 5u);
  for (const auto& e : examples) {
    if (e.shape) {
      EXPECT_FALSE(e.shape->is_discarded())
          << "docs/api.md:" << e.line << ": the JSON after the example does not parse:\n"
          << e.shape_text;
    }
  }
}

TEST(ApiDocs, EveryGetExampleAnswers200WithTheDocumentedKeys) {
  const auto examples = read_examples(std::string(BTMS_SOURCE_DIR) + "/docs/api.md");
  ASSERT_FALSE(examples.empty());
  TempFolder data;
  ChildProcess demo(
      {BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0", "--data-dir", data.path()});
  const int port = wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0) << "btms demo did not print its web URL";

  bool started = false;  // the first 200 shows the demo's first cycles have run
  for (const auto& e : examples) {
    SCOPED_TRACE("docs/api.md:" + std::to_string(e.line) + " GET " + e.target);
    // Until the first cycles have run, live data, the engine and the history store may still
    // answer 503 (or not know a channel yet): retry for a while, longer before the first 200.
    btms::e2e::HttpReply r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(started ? 5 : 20);
    do {
      r = http_get(port, e.target);
      if (r.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) continue;
    started = true;
    const auto answer = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(answer.is_discarded()) << "not JSON: " << r.body.substr(0, 200);
    if (answer.is_discarded() || !e.shape || e.shape->is_discarded()) continue;
    std::vector<std::string> problems;
    expect_shape(*e.shape, answer, "answer", problems);
    for (const auto& p : problems) ADD_FAILURE() << p << "\nanswer: " << r.body.substr(0, 400);
  }
  EXPECT_EQ(demo.interrupt_and_wait(10000), 0);
}
