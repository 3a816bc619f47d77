// gzip of static files: the compressed body inflates to the file, only clients that accept
// gzip get it, Vary and ETag are right for each representation, If-None-Match gives 304, and
// a changed file is read and compressed anew.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "web/gzip.hpp"
#include "web/static_files.hpp"

namespace btms::web {
namespace {

namespace fs = std::filesystem;

std::string gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[4096];
  int result = Z_OK;
  while (result == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    result = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - zs.avail_out);
  }
  inflateEnd(&zs);
  EXPECT_EQ(result, Z_STREAM_END);
  return out;
}

std::string header(const Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

TEST(Gzip, RoundTripsAndShrinksText) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "<div class=\"battery\">13.52 V</div>\n";
  const auto packed = gzip_compress(text);
  EXPECT_LT(packed.size(), text.size() / 5);
  EXPECT_EQ(gunzip(packed), text);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
}

struct AcceptCase {
  std::string header;
  bool gzip;
};

class AcceptsGzip : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptsGzip, Decides) {
  EXPECT_EQ(accepts_gzip(GetParam().header), GetParam().gzip) << GetParam().header;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AcceptsGzip,
    ::testing::Values(AcceptCase{"", false}, AcceptCase{"gzip", true},
                      AcceptCase{"gzip, deflate, br", true}, AcceptCase{"br, GZIP", true},
                      AcceptCase{"deflate, br", false}, AcceptCase{"gzip;q=0", false},
                      AcceptCase{"gzip; q=0.000", false}, AcceptCase{"gzip;q=0.5", true},
                      AcceptCase{"*", true}, AcceptCase{"*;q=0", false},
                      AcceptCase{"gzip;q=0, *", false}, AcceptCase{"identity", false},
                      AcceptCase{"x-gzip", true}, AcceptCase{"gzipper", false}));

class StaticGzipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir =
        fs::temp_directory_path() / ("btms-static-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir / "assets");
    for (int i = 0; i < 100; ++i) html += "<p>Battery string " + std::to_string(i) + "</p>\n";
    write("index.html", html);
    std::string js;
    for (int i = 0; i < 100; ++i) js += "export const v" + std::to_string(i) + " = 1;\n";
    write("assets/app-1234.js", js);
    write("logo.png", std::string(300, '\x7f'));
    write("tiny.css", "a{}");
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir / name, std::ios::binary) << content;
  }
  Request get(const std::string& accept_encoding, const std::string& if_none_match = "") {
    Request r;
    r.method = "GET";
    if (!accept_encoding.empty()) r.headers["accept-encoding"] = accept_encoding;
    if (!if_none_match.empty()) r.headers["if-none-match"] = if_none_match;
    return r;
  }

  fs::path dir;
  std::string html;
};

TEST_F(StaticGzipTest, GzipOnlyWhenAccepted) {
  StaticFiles files(dir.string());
  const auto plain = files.serve(get(""), "/");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, html);
  EXPECT_EQ(header(plain, "Content-Encoding"), "");
  EXPECT_EQ(header(plain, "Vary"), "Accept-Encoding");
  EXPECT_EQ(header(plain, "Cache-Control"), "no-cache");

  const auto packed = files.serve(get("gzip, deflate"), "/");
  EXPECT_EQ(packed.status, 200);
  EXPECT_EQ(header(packed, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(packed, "Vary"), "Accept-Encoding");
  EXPECT_EQ(packed.content_type, "text/html; charset=utf-8");
  EXPECT_LT(packed.body.size(), html.size());
  EXPECT_EQ(gunzip(packed.body), html);
  // Different representations, different strong validators.
  EXPECT_FALSE(header(plain, "ETag").empty());
  EXPECT_NE(header(plain, "ETag"), header(packed, "ETag"));

  const auto asset = files.serve(get("gzip"), "/assets/app-1234.js");
  EXPECT_EQ(header(asset, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(asset, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(StaticGzipTest, BinaryAndTinyFilesAreNotCompressed) {
  StaticFiles files(dir.string());
  const auto png = files.serve(get("gzip"), "/logo.png");
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(header(png, "Content-Encoding"), "");
  EXPECT_EQ(header(png, "Vary"), "");
  EXPECT_EQ(png.body.size(), 300u);
  // gzip of three bytes is bigger than three bytes: sent as is.
  const auto css = files.serve(get("gzip"), "/tiny.css");
  EXPECT_EQ(header(css, "Content-Encoding"), "");
  EXPECT_EQ(css.body, "a{}");
}

TEST_F(StaticGzipTest, IfNoneMatchGives304ForTheSameRepresentation) {
  StaticFiles files(dir.string());
  const auto first = files.serve(get("gzip"), "/index.html");
  const auto etag = header(first, "ETag");
  const auto again = files.serve(get("gzip", etag), "/index.html");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(again, "ETag"), etag);
  EXPECT_EQ(header(again, "Vary"), "Accept-Encoding");
  EXPECT_EQ(files.serve(get("gzip", "W/" + etag), "/index.html").status, 304);
  EXPECT_EQ(files.serve(get("gzip", "\"other\", " + etag), "/index.html").status, 304);
  // The gzip ETag does not validate the plain body.
  EXPECT_EQ(files.serve(get("", etag), "/index.html").status, 200);
}

TEST_F(StaticGzipTest, ChangedFileIsServedAndCompressedAnew) {
  StaticFiles files(dir.string());
  const auto before = files.serve(get("gzip"), "/index.html");
  const std::string changed = html + "<p>new battery</p>\n";
  write("index.html", changed);
  // Make sure the modification time differs even on coarse-grained file systems.
  fs::last_write_time(dir / "index.html",
                      fs::last_write_time(dir / "index.html") + std::chrono::seconds(2));
  const auto after = files.serve(get("gzip", header(before, "ETag")), "/index.html");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(gunzip(after.body), changed);
  EXPECT_NE(header(after, "ETag"), header(before, "ETag"));
}

}  // namespace
}  // namespace btms::web
