// The JPEG/PNG decoder against OpenCV's, byte for byte: cv::imdecode
// (IMREAD_COLOR) then BGR->RGB is what decode_rgb returned before it.
#include <gtest/gtest.h>
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/paths.h"
#include "data/dataset.h"
#include "data/image_decode.h"
#include "fixture.h"

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

using namespace mw;

// Time bounds stretch under ASan (scripts/sanitize.sh), which slows allocation and memory access.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MASKWATCH_ASAN 1
#endif
#endif
#ifdef MASKWATCH_ASAN
constexpr int kSanitizerSlowdown = 10;
#else
constexpr int kSanitizerSlowdown = 1;
#endif
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) { return read_file(p.string(), kMaxImageBytes); }

cv::Mat reference(const std::string& bytes) {
  cv::Mat bgr = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                             cv::IMREAD_COLOR);
  cv::Mat rgb;
  if (!bgr.empty()) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat decode(const std::string& bytes) { return decode_image_rgb(bytes, "test", {kMaxImagePixels, kMaxImageSide}); }

// Decodes with both and requires the same bytes.
void expect_same_as_opencv(const std::string& bytes, const std::string& what) {
  SCOPED_TRACE(what);
  fixture::save_fuzz_seed("fuzz_image", what, bytes);
  cv::Mat want = reference(bytes);
  ASSERT_FALSE(want.empty()) << "OpenCV does not decode it";
  cv::Mat got;
  try {
    got = decode(bytes);
  } catch (const Error& e) {
    FAIL() << e.what();
  }
  ASSERT_EQ(got.type(), CV_8UC3);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0);
}

std::string encode(const cv::Mat& img, const std::string& ext, const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf, params));
  return std::string(buf.begin(), buf.end());
}

// Smooth gradients with noise: something for the codecs to get wrong.
cv::Mat test_image(int rows, int cols, int type, std::uint64_t seed) {
  cv::Mat img(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  cv::Mat smooth;
  cv::GaussianBlur(img, smooth, cv::Size(7, 7), 2.0);
  cv::addWeighted(img, 0.2, smooth, 0.8, 0, img);
  return img;
}

[[noreturn]] void png_abort(png_structp, png_const_charp msg) {
  std::fprintf(stderr, "libpng: %s\n", msg);
  std::abort();
}

// A PNG of any kind libpng writes: rows packed as PNG stores them.
std::string write_png(int width, int height, int depth, int color_type, const std::vector<std::string>& rows,
                      const std::vector<png_color>& palette = {}, const std::string& trns = {},
                      int interlace = PNG_INTERLACE_NONE) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_abort, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, width, height, depth, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!trns.empty()) {
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
      png_set_tRNS(png, info, reinterpret_cast<png_const_bytep>(trns.data()), static_cast<int>(trns.size()), nullptr);
    } else {
      png_color_16 key{};
      key.red = key.green = key.blue = key.gray = static_cast<png_uint_16>(static_cast<unsigned char>(trns[0]));
      png_set_tRNS(png, info, nullptr, 1, &key);
    }
  }
  png_write_info(png, info);
  int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass)
    for (const auto& r : rows) png_write_row(png, reinterpret_cast<png_const_bytep>(r.data()));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

// Rows of random bytes, `bytes_per_row` each.
std::vector<std::string> random_rows(int height, std::size_t bytes_per_row, std::uint64_t seed) {
  cv::RNG rng(seed);
  std::vector<std::string> rows(height, std::string(bytes_per_row, '\0'));
  for (auto& r : rows)
    for (auto& c : r) c = static_cast<char>(rng.uniform(0, 256));
  return rows;
}

// A JPEG written by libjpeg from interleaved samples in `in_space`, stored in
// `jpeg_space` with the luma sampling factors h x v.
std::string write_jpeg(const cv::Mat& img, J_COLOR_SPACE in_space, J_COLOR_SPACE jpeg_space, int h, int v,
                       bool progressive = false) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = img.cols;
  c.image_height = img.rows;
  c.input_components = img.channels();
  c.in_color_space = in_space;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, jpeg_space);
  jpeg_set_quality(&c, 90, TRUE);
  c.comp_info[0].h_samp_factor = h;
  c.comp_info[0].v_samp_factor = v;
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(img.ptr(static_cast<int>(c.next_scanline)));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

void put16(std::string& s, int v, bool big) {
  char b[2] = {static_cast<char>(v & 0xff), static_cast<char>(v >> 8 & 0xff)};
  if (big) std::swap(b[0], b[1]);
  s.append(b, 2);
}
void put32(std::string& s, std::uint32_t v, bool big) {
  put16(s, static_cast<int>(big ? v >> 16 : v & 0xffff), big);
  put16(s, static_cast<int>(big ? v & 0xffff : v >> 16), big);
}

struct IfdEntry {
  int tag, type;
  std::uint32_t count, value;  // value: a SHORT in the first 2 bytes, or an offset
};

// An APP1 segment: "Exif\0\0", a TIFF header and IFD0 holding `entries`, then
// `tail` (data the entries point to: offsets count from the TIFF header).
std::string app1_exif(const std::vector<IfdEntry>& entries, bool big, const std::string& tail = {}) {
  std::string tiff = big ? "MM" : "II";
  put16(tiff, 0x2A, big);
  put32(tiff, 8, big);
  put16(tiff, static_cast<int>(entries.size()), big);
  for (const auto& e : entries) {
    put16(tiff, e.tag, big);
    put16(tiff, e.type, big);
    put32(tiff, e.count, big);
    if (e.type == 3 && e.count == 1) {
      put16(tiff, static_cast<int>(e.value), big);
      put16(tiff, 0, big);
    } else {
      put32(tiff, e.value, big);
    }
  }
  put32(tiff, 0, big);
  std::string body = std::string("Exif\0\0", 6) + tiff + tail;
  std::string seg = "\xFF\xE1";
  put16(seg, static_cast<int>(body.size() + 2), true);
  return seg + body;
}

std::string app1_raw(const std::string& body) {
  std::string seg = "\xFF\xE1";
  put16(seg, static_cast<int>(body.size() + 2), true);
  return seg + body;
}

// The JPEG with `segments` inserted right after its SOI marker.
std::string with_segments(const std::string& jpeg, const std::string& segments) {
  return jpeg.substr(0, 2) + segments + jpeg.substr(2);
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string c;
  put32(c, static_cast<std::uint32_t>(data.size()), true);
  c += type + data;
  auto crc = crc32(0, reinterpret_cast<const Bytef*>(c.data() + 4), static_cast<uInt>(c.size() - 4));
  put32(c, static_cast<std::uint32_t>(crc), true);
  return c;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.reason();
  }
  return "no error";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(ImageDecode, DatasetJpegsMatchOpenCV) {
  auto dir = fs::path(fixture::data_dir()) / "images";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".jpg") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 100u);
  for (std::size_t i = 0; i < files.size(); i += 20) expect_same_as_opencv(read(files[i]), files[i].string());
  // decode_rgb, as ingest and the Lambda function call it.
  auto bytes = read(files[0]);
  EXPECT_EQ(cv::norm(decode_rgb(bytes, "x"), reference(bytes), cv::NORM_INF), 0);
}

TEST(ImageDecode, JpegKindsMatchOpenCV) {
  cv::Mat bgr = test_image(37, 53, CV_8UC3, 1), gray = test_image(41, 29, CV_8UC1, 2);
  expect_same_as_opencv(encode(bgr, ".jpg"), "baseline 4:2:0");
  expect_same_as_opencv(encode(bgr, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), "progressive");
  expect_same_as_opencv(encode(bgr, ".jpg", {cv::IMWRITE_JPEG_RST_INTERVAL, 2}), "restart markers");
  expect_same_as_opencv(encode(gray, ".jpg"), "grayscale");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  expect_same_as_opencv(write_jpeg(rgb, JCS_RGB, JCS_YCbCr, 1, 1), "4:4:4");
  expect_same_as_opencv(write_jpeg(rgb, JCS_RGB, JCS_YCbCr, 2, 1), "4:2:2");
  expect_same_as_opencv(write_jpeg(rgb, JCS_RGB, JCS_YCbCr, 1, 2), "4:4:0");
  expect_same_as_opencv(write_jpeg(rgb, JCS_RGB, JCS_RGB, 1, 1), "stored as RGB");
  expect_same_as_opencv(write_jpeg(rgb, JCS_RGB, JCS_YCbCr, 2, 2, true), "progressive 4:2:0 via libjpeg");
  // Motion-JPEG style, without Huffman tables: OpenCV loads the standard ones, as libjpeg-turbo does.
  std::string jpg = encode(bgr, ".jpg"), no_dht;
  for (std::size_t i = 0; i < jpg.size();) {
    bool dht = jpg.compare(i, 2, "\xFF\xC4") == 0;
    std::size_t len =
        i == 0 ? 2 : 2 + (static_cast<unsigned char>(jpg[i + 2]) << 8 | static_cast<unsigned char>(jpg[i + 3]));
    if (jpg.compare(i, 2, "\xFF\xDA") == 0) len = jpg.size() - i;  // the scan and the rest
    if (!dht) no_dht += jpg.substr(i, len);
    i += len;
  }
  ASSERT_LT(no_dht.size(), jpg.size());
  expect_same_as_opencv(no_dht, "no Huffman tables");
  cv::Mat cmyk = test_image(19, 23, CV_8UC4, 3);
  expect_same_as_opencv(write_jpeg(cmyk, JCS_CMYK, JCS_CMYK, 1, 1), "CMYK");
  expect_same_as_opencv(write_jpeg(cmyk, JCS_CMYK, JCS_YCCK, 2, 2), "YCCK");
}

TEST(ImageDecode, JpegExifOrientationMatchesOpenCV) {
  cv::Mat bgr = test_image(24, 40, CV_8UC3, 4);  // not square: 5-8 swap the sides
  std::string jpg = encode(bgr, ".jpg");
  cv::Mat plain = decode(jpg);
  for (bool big : {true, false}) {
    for (int o = 0; o <= 9; ++o) {
      auto name = std::string(big ? "MM" : "II") + " orientation " + std::to_string(o);
      auto bytes = with_segments(jpg, app1_exif({{0x0112, 3, 1, static_cast<std::uint32_t>(o)}}, big));
      expect_same_as_opencv(bytes, name);
      cv::Mat got = decode(bytes);
      EXPECT_EQ(got.rows, o >= 5 && o <= 8 ? plain.cols : plain.rows) << name;
    }
  }
  // Orientation 6 (turned 90 degrees clockwise): the first column becomes the first row, reversed.
  cv::Mat six = decode(with_segments(jpg, app1_exif({{0x0112, 3, 1, 6}}, false)));
  EXPECT_EQ(six.at<cv::Vec3b>(0, 0), plain.at<cv::Vec3b>(plain.rows - 1, 0));
  EXPECT_EQ(six.at<cv::Vec3b>(0, six.cols - 1), plain.at<cv::Vec3b>(0, 0));

  // As cameras write it: strings and rationals before the orientation.
  std::string tail("CameraMaker\0", 12);  // at 8 + 2 + 3 * 12 + 4 = 50
  tail += std::string("\0\0\0\x48\0\0\0\x01", 8);
  std::vector<IfdEntry> camera = {{0x010F, 2, 12, 50}, {0x011A, 5, 1, 62}, {0x0112, 3, 1, 8}};
  expect_same_as_opencv(with_segments(jpg, app1_exif(camera, true, tail)), "camera-like IFD");
  EXPECT_EQ(decode(with_segments(jpg, app1_exif(camera, true, tail))).rows, plain.cols);
  // OpenCV's reader stops at an entry it cannot read: the orientation after it is not seen.
  std::vector<IfdEntry> broken = {{0x010F, 2, 12, 5000}, {0x0112, 3, 1, 8}};
  expect_same_as_opencv(with_segments(jpg, app1_exif(broken, true)), "string out of range");
  // The first orientation entry wins; only the first APP1 segment is read (here XMP).
  expect_same_as_opencv(with_segments(jpg, app1_exif({{0x0112, 3, 1, 3}, {0x0112, 3, 1, 6}}, false)), "twice");
  expect_same_as_opencv(with_segments(jpg, app1_raw(std::string("http://ns.adobe.com/xap/1.0/\0<x/>", 34)) +
                                               app1_exif({{0x0112, 3, 1, 6}}, false)),
                        "XMP first");
  expect_same_as_opencv(with_segments(jpg, app1_raw("Exif")), "short segment");
  expect_same_as_opencv(with_segments(jpg, app1_raw(std::string("Exif\0\0II*\0\xff\xff\0\0", 14))), "bad IFD offset");
  // Gray JPEGs turn too.
  expect_same_as_opencv(
      with_segments(encode(test_image(20, 30, CV_8UC1, 5), ".jpg"), app1_exif({{0x0112, 3, 1, 7}}, true)),
      "gray, orientation 7");
}

TEST(ImageDecode, PngKindsMatchOpenCV) {
  cv::Mat bgr = test_image(33, 47, CV_8UC3, 6);
  expect_same_as_opencv(encode(bgr, ".png"), "RGB");
  expect_same_as_opencv(encode(test_image(33, 47, CV_8UC4, 7), ".png"), "RGBA");
  expect_same_as_opencv(encode(test_image(33, 47, CV_8UC1, 8), ".png"), "gray");
  expect_same_as_opencv(encode(test_image(33, 47, CV_16UC3, 9), ".png"), "RGB 16-bit");
  expect_same_as_opencv(encode(test_image(33, 47, CV_16UC4, 10), ".png"), "RGBA 16-bit");
  expect_same_as_opencv(encode(test_image(33, 47, CV_16UC1, 11), ".png"), "gray 16-bit");
  const int w = 21, h = 13;
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_GRAY_ALPHA, random_rows(h, w * 2, 12)), "gray+alpha");
  expect_same_as_opencv(write_png(w, h, 16, PNG_COLOR_TYPE_GRAY_ALPHA, random_rows(h, w * 4, 13)), "gray+alpha 16");
  for (int depth : {1, 2, 4}) {
    auto rows = random_rows(h, (w * depth + 7) / 8, 14 + depth);
    expect_same_as_opencv(write_png(w, h, depth, PNG_COLOR_TYPE_GRAY, rows), "gray " + std::to_string(depth) + "-bit");
    std::vector<png_color> palette;
    cv::RNG rng(depth);
    for (int i = 0; i < 1 << depth; ++i)
      palette.push_back({static_cast<png_byte>(rng.uniform(0, 256)), static_cast<png_byte>(rng.uniform(0, 256)),
                         static_cast<png_byte>(rng.uniform(0, 256))});
    expect_same_as_opencv(write_png(w, h, depth, PNG_COLOR_TYPE_PALETTE, rows, palette),
                          "palette " + std::to_string(depth) + "-bit");
  }
  std::vector<png_color> palette(256);
  for (int i = 0; i < 256; ++i)
    palette[i] = {static_cast<png_byte>(i), static_cast<png_byte>(255 - i), static_cast<png_byte>(i * 7)};
  auto index_rows = random_rows(h, w, 20);
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_PALETTE, index_rows, palette), "palette 8-bit");
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_PALETTE, index_rows, palette, std::string("\0\x80\xff", 3)),
                        "palette with tRNS");
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_GRAY, index_rows, {}, "\x40"), "gray with tRNS");
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_RGB, random_rows(h, w * 3, 21), {}, "\x40"), "RGB with tRNS");
  expect_same_as_opencv(write_png(w, h, 8, PNG_COLOR_TYPE_RGB, random_rows(h, w * 3, 22), {}, {}, PNG_INTERLACE_ADAM7),
                        "interlaced");
  expect_same_as_opencv(
      write_png(w, h, 16, PNG_COLOR_TYPE_RGB_ALPHA, random_rows(h, w * 8, 23), {}, {}, PNG_INTERLACE_ADAM7),
      "interlaced RGBA 16");
  // Alpha is dropped, not composited; 16-bit samples keep their high byte.
  auto rgba = write_png(1, 1, 16, PNG_COLOR_TYPE_RGB_ALPHA, {std::string("\x12\x34\x56\x78\x9a\xbc\0\0", 8)});
  EXPECT_EQ(decode(rgba).at<cv::Vec3b>(0, 0), cv::Vec3b(0x12, 0x56, 0x9a));
  // A PNG's eXIf orientation turns it too, before or after the image data.
  std::string png = encode(bgr, ".png");
  for (int o = 1; o <= 8; ++o) {
    // the TIFF structure alone, without the "Exif\0\0" of JPEG's APP1
    std::string exif = app1_exif({{0x0112, 3, 1, static_cast<std::uint32_t>(o)}}, o % 2 == 0).substr(10);
    std::string before = png.substr(0, 33) + png_chunk("eXIf", exif) + png.substr(33);
    expect_same_as_opencv(before, "PNG with eXIf, orientation " + std::to_string(o));
    EXPECT_EQ(decode(before).rows, o >= 5 ? bgr.cols : bgr.rows);
    std::string after = png.substr(0, png.size() - 12) + png_chunk("eXIf", exif) + png.substr(png.size() - 12);
    expect_same_as_opencv(after, "PNG with eXIf after IDAT, orientation " + std::to_string(o));
  }
}

TEST(ImageDecode, BadInputIsAClearError) {
  EXPECT_TRUE(contains(error_of([] { decode(""); }), "empty")) << error_of([] { decode(""); });
  cv::RNG rng(30);
  std::string noise(1000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng.uniform(0, 256));
  noise[0] = 'R';
  EXPECT_TRUE(contains(error_of([&] { decode(noise); }), "not a JPEG or PNG")) << error_of([&] { decode(noise); });
  EXPECT_TRUE(contains(error_of([&] { decode("\xFF\xD8\xFF" + noise); }), "does not decode"));
  EXPECT_TRUE(contains(error_of([&] { decode("\x89PNG\r\n\x1A\n" + noise); }), "does not decode"));
  EXPECT_TRUE(contains(error_of([] { decode("GIF89a"); }), "not a JPEG or PNG"));

  // Truncated PNG: OpenCV fails too. Without IEND as well (OpenCV's reader wants it).
  std::string png = encode(test_image(40, 40, CV_8UC3, 31), ".png");
  for (std::size_t n : {std::size_t(8), std::size_t(30), png.size() / 2, png.size() - 12}) {
    auto cut = png.substr(0, n);
    EXPECT_TRUE(reference(cut).empty()) << n;
    EXPECT_TRUE(contains(error_of([&] { decode(cut); }), "image does not decode")) << error_of([&] { decode(cut); });
  }
  EXPECT_TRUE(contains(error_of([&] { decode(png.substr(0, png.size() / 2)); }), "truncated PNG"));

  // Truncated JPEG: in its header OpenCV fails too (as tests/test_ingest.cpp's
  // 200-byte cut). Cut in the scan, OpenCV returns an image whose missing rows
  // are whatever the memory held; we refuse it.
  auto jpg = read(fs::path(fixture::data_dir()) / "images" / "maksssksksss2.jpg");
  EXPECT_TRUE(reference(jpg.substr(0, 200)).empty());
  EXPECT_TRUE(contains(error_of([&] { decode(jpg.substr(0, 200)); }), "image does not decode"));
  auto half = jpg.substr(0, jpg.size() / 2);
  EXPECT_FALSE(reference(half).empty());
  EXPECT_TRUE(contains(error_of([&] { decode(half); }), "truncated JPEG")) << error_of([&] { decode(half); });
  // Without its end marker only, libjpeg's bit reader still asks for bytes past
  // the end in the last MCU row: OpenCV loses that row, we refuse the file.
  auto no_eoi = jpg.substr(0, jpg.size() - 2);
  EXPECT_GT(cv::norm(reference(no_eoi), reference(jpg), cv::NORM_INF), 0);
  EXPECT_TRUE(contains(error_of([&] { decode(no_eoi); }), "truncated JPEG"));
  // Corrupt scan data whose only warning comes after the last row ("extraneous
  // bytes before marker 0xd9") decodes, as with OpenCV; a warning before it is
  // an error (JpegCorruptDataWarningsAreErrors).
  auto corrupt = jpg;
  for (std::size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 40; ++i)
    if (static_cast<unsigned char>(corrupt[i]) < 0xFE && corrupt[i - 1] != '\xFF')
      corrupt[i] = static_cast<char>(corrupt[i] ^ 0x01);
  expect_same_as_opencv(corrupt, "corrupt scan data");

  // Headers claiming huge images fail at once, before pixel memory is allocated.
  std::string ihdr;
  put32(ihdr, 100000, true);
  put32(ihdr, 100000, true);
  ihdr += std::string("\x08\x02\0\0\0", 5);
  std::string huge_png = "\x89PNG\r\n\x1A\n" + png_chunk("IHDR", ihdr) + png_chunk("IDAT", "x") + png_chunk("IEND", "");
  auto start = std::chrono::steady_clock::now();
  auto why = error_of([&] { decode(huge_png); });
  EXPECT_TRUE(contains(why, "over 60000000 pixels")) << why;
  std::string huge_jpg = encode(test_image(8, 8, CV_8UC3, 32), ".jpg");
  auto sof = huge_jpg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  huge_jpg.replace(sof + 5, 4, std::string("\xEA\x60\xEA\x60", 4));  // 60000 x 60000
  why = error_of([&] { decode(huge_jpg); });
  EXPECT_TRUE(contains(why, "over 60000000 pixels")) << why;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST(ImageDecode, AThinImageOverTheSideCapIsRefusedFromItsHeader) {
  // 60000 x 1000 is under the pixel cap; a crop square as wide as it would not be.
  ASSERT_LE(60000L * 1000, kMaxImagePixels);
  std::vector<std::string> rows(1000, std::string(60000, '\x80'));
  for (int y = 0; y < 1000; ++y) rows[y][static_cast<std::size_t>(y) * 60] = '\0';
  std::string png = write_png(60000, 1000, 8, PNG_COLOR_TYPE_GRAY, rows);
  EXPECT_LT(png.size(), 1000000u);
  auto start = std::chrono::steady_clock::now();
  auto why = error_of([&] { decode(png); });
  EXPECT_TRUE(contains(why, "image side is over the cap of 16384 pixels (60000x1000)")) << why;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  // Tall ones too, and JPEGs.
  std::string ihdr;
  put32(ihdr, 10, true);
  put32(ihdr, kMaxImageSide + 1, true);
  ihdr += std::string("\x08\x02\0\0\0", 5);
  why = error_of([&] { decode("\x89PNG\r\n\x1A\n" + png_chunk("IHDR", ihdr) + png_chunk("IDAT", "x")); });
  EXPECT_TRUE(contains(why, "image side is over the cap of 16384 pixels (10x16385)")) << why;
  std::string jpg = encode(test_image(8, 8, CV_8UC3, 33), ".jpg");
  auto sof = jpg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpg.replace(sof + 5, 4, std::string("\x00\x10\x4E\x20", 4));  // 16 rows x 20000 columns
  why = error_of([&] { decode(jpg); });
  EXPECT_TRUE(contains(why, "image side is over the cap of 16384 pixels (20000x16)")) << why;
}

TEST(ImageDecode, JpegCorruptDataWarningsAreErrors) {
  // Cut in the scan, then an end marker: libjpeg warns ("premature end of data
  // segment") and fills the missing rows with grey.
  std::string jpg = encode(test_image(64, 64, CV_8UC3, 34), ".jpg");
  std::string cut = jpg.substr(0, jpg.size() / 2) + "\xFF\xD9";
  ASSERT_FALSE(reference(cut).empty());  // OpenCV gives an image
  auto why = error_of([&] { decode(cut); });
  EXPECT_TRUE(contains(why, "corrupt or truncated JPEG data")) << why;
  EXPECT_TRUE(contains(why, "image does not decode")) << why;
  try {
    decode_image_rgb(cut, "folder/cut.jpg", {kMaxImagePixels, kMaxImageSide});
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "folder/cut.jpg");
  }
  // A header claiming 7000 x 8000 over the data of an 8 x 8 image: refused at
  // once instead of decoding 56 million pixels of filler.
  std::string big = encode(test_image(8, 8, CV_8UC3, 35), ".jpg");
  auto sof = big.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  big.replace(sof + 5, 4, std::string("\x1F\x40\x1B\x58", 4));  // 8000 rows x 7000 columns
  auto start = std::chrono::steady_clock::now();
  why = error_of([&] { decode(big); });
  EXPECT_TRUE(contains(why, "corrupt or truncated JPEG data")) << why;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300) * kSanitizerSlowdown);
}

TEST(ImageDecode, SniffsTheFormat) {
  EXPECT_EQ(sniff_image_format("\xFF\xD8\xFF\xE0"), ImageFormat::Jpeg);
  EXPECT_EQ(sniff_image_format("\x89PNG\r\n\x1A\n...."), ImageFormat::Png);
  EXPECT_EQ(sniff_image_format("\xFF\xD8"), ImageFormat::Unknown);
  EXPECT_EQ(sniff_image_format("BM...."), ImageFormat::Unknown);
}
