#include "data/image_decode.h"

#include <png.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "maskwatch.h"

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

namespace mw {

namespace {

// libjpeg and libpng report errors by longjmp. Only the functions named
// *_c below call into them, and their frames hold plain C data only, so a
// longjmp never skips a destructor; the C++ callers own the memory.

// ---- JPEG ------------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool warned;  // stopped by a corrupt-data warning
};

struct JpegState {
  jpeg_decompress_struct cinfo;
  JpegError err;
  jpeg_source_mgr src;
  bool all_rows;  // every row decoded
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_on_message(j_common_ptr) {}  // nothing is printed

// A warning (level -1) means corrupt data that libjpeg would paper over with
// grey filler: it stops the decode as an error does. Trace messages (level >= 0) pass.
void jpeg_on_emit(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  ++err->pub.num_warnings;
  err->warned = true;
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_src_noop(j_decompress_ptr) {}

// As OpenCV's source: every byte is in the buffer from the start, so a request
// for more suspends the decoder, and a suspension is final.
boolean jpeg_src_no_more(j_decompress_ptr) { return FALSE; }

void jpeg_src_skip(j_decompress_ptr cinfo, long n) {
  if (n <= 0) return;
  auto* src = cinfo->src;
  std::size_t k =
      static_cast<std::size_t>(n) < src->bytes_in_buffer ? static_cast<std::size_t>(n) : src->bytes_in_buffer;
  src->next_input_byte += k;
  src->bytes_in_buffer -= k;
}

enum Step { kFailed = -1, kOutOfData = 0, kDone = 1 };

// Reads the header, keeping the APP1 segments (EXIF). s must be zeroed.
int jpeg_open_c(JpegState* s, const unsigned char* data, std::size_t size) {
  s->cinfo.err = jpeg_std_error(&s->err.pub);
  s->err.pub.error_exit = jpeg_on_error;
  s->err.pub.output_message = jpeg_on_message;
  s->err.pub.emit_message = jpeg_on_emit;
  if (setjmp(s->err.jump)) return kFailed;
  jpeg_create_decompress(&s->cinfo);
  s->src.init_source = jpeg_src_noop;
  s->src.fill_input_buffer = jpeg_src_no_more;
  s->src.skip_input_data = jpeg_src_skip;
  s->src.resync_to_restart = jpeg_resync_to_restart;
  s->src.term_source = jpeg_src_noop;
  s->src.next_input_byte = data;
  s->src.bytes_in_buffer = size;
  s->cinfo.src = &s->src;
  jpeg_save_markers(&s->cinfo, JPEG_APP0 + 1, 0xffff);
  return jpeg_read_header(&s->cinfo, TRUE) == JPEG_HEADER_OK ? kDone : kOutOfData;
}

// OpenCV's CMYK -> BGR (icvCvt_CMYK2BGR_8u_C4C3R), written in RGB order.
void cmyk_to_rgb(const unsigned char* cmyk, unsigned char* rgb, unsigned width) {
  for (unsigned i = 0; i < width; ++i, cmyk += 4, rgb += 3) {
    int k = cmyk[3];
    rgb[0] = static_cast<unsigned char>(k - ((255 - cmyk[0]) * k >> 8));
    rgb[1] = static_cast<unsigned char>(k - ((255 - cmyk[1]) * k >> 8));
    rgb[2] = static_cast<unsigned char>(k - ((255 - cmyk[2]) * k >> 8));
  }
}

// Decodes the image into `rgb` (output_height rows of `stride` bytes) with
// libjpeg's defaults (islow IDCT, fancy upsampling), as OpenCV does. As for
// OpenCV, what follows the last row (end marker missing, bad) is no error,
// nor is a warning there; one before it is.
int jpeg_read_rgb_c(JpegState* s, unsigned char* rgb, std::size_t stride) {
  if (setjmp(s->err.jump)) return s->all_rows ? kDone : kFailed;
  j_decompress_ptr c = &s->cinfo;
  c->out_color_space = c->num_components == 4 ? JCS_CMYK : JCS_RGB;
  if (!jpeg_start_decompress(c)) return kOutOfData;
  JSAMPARRAY cmyk = c->out_color_space == JCS_CMYK ? (*c->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(c),
                                                                             JPOOL_IMAGE, c->output_width * 4, 1)
                                                   : nullptr;
  while (c->output_scanline < c->output_height) {
    JSAMPROW row = rgb + c->output_scanline * stride;
    if (jpeg_read_scanlines(c, cmyk ? cmyk : &row, 1) != 1) return kOutOfData;
    if (cmyk) cmyk_to_rgb(cmyk[0], row, c->output_width);
  }
  s->all_rows = true;
  jpeg_finish_decompress(c);
  return kDone;
}

// ---- EXIF orientation --------------------------------------------------------

struct ExifOutOfRange {};

// The TIFF structure inside an EXIF segment, read as OpenCV's ExifReader reads
// it: "II" is little-endian, anything else big-endian; reads past the end throw.
class TiffReader {
 public:
  TiffReader(const unsigned char* data, std::size_t size)
      : d_(data), n_(size), intel_(size > 0 && d_[0] == 'I' && (size == 1 || d_[1] == 'I')) {}
  std::size_t size() const { return n_; }
  std::uint16_t u16(std::size_t off) const {
    if (off + 1 >= n_) throw ExifOutOfRange{};
    return static_cast<std::uint16_t>(intel_ ? d_[off] | d_[off + 1] << 8 : d_[off] << 8 | d_[off + 1]);
  }
  std::uint32_t u32(std::size_t off) const {
    if (off + 3 >= n_) throw ExifOutOfRange{};
    const unsigned char* p = d_ + off;
    return intel_
               ? std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24
               : std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
  }

 private:
  const unsigned char* d_;
  std::size_t n_;
  bool intel_;
};

// The reads OpenCV 4.6's ExifReader makes for the IFD0 entry at `off`: an
// entry it cannot read ends the parse, keeping the entries before it.
void read_entry_like_opencv(const TiffReader& t, std::uint32_t off, std::uint16_t tag) {
  auto rationals = [&](int count, bool step_uint32) {
    std::uint32_t at = t.u32(std::size_t(off) + 8);
    for (int i = 0; i < count; ++i) {
      std::uint32_t r = step_uint32 ? static_cast<std::uint32_t>(at + 8u * i) : at;
      t.u32(r);
      t.u32(std::size_t(r) + 4);
    }
  };
  switch (tag) {
    case 0x010E:  // ImageDescription, Make, Model, Software, DateTime, Copyright
    case 0x010F:
    case 0x0110:
    case 0x0131:
    case 0x0132:
    case 0x8298: {
      std::size_t size = t.u32(std::size_t(off) + 4), data_off = 8;
      if (size > 4) data_off = t.u32(std::size_t(off) + 8);
      if (data_off > t.size() || data_off + size > t.size()) throw ExifOutOfRange{};
      break;
    }
    case 0x0112:  // Orientation, ResolutionUnit, YCbCrPositioning
    case 0x0128:
    case 0x0213:
      t.u16(std::size_t(off) + 8);
      break;
    case 0x011A:  // XResolution, YResolution
    case 0x011B:
      rationals(1, false);
      break;
    case 0x013E:  // WhitePoint
      rationals(2, true);
      break;
    case 0x013F:  // PrimaryChromaticities, ReferenceBlackWhite
    case 0x0214:
      rationals(6, true);
      break;
    case 0x0211:  // YCbCrCoefficients
      rationals(3, true);
      break;
    default:
      break;
  }
}

// The orientation tag (1-8 when valid) of an EXIF TIFF structure, read as
// OpenCV 4.6 reads it: IFD0's entries in order, the first Orientation entry
// winning; 0 when there is none.
int tiff_orientation(const unsigned char* data, std::size_t size) {
  TiffReader t(data, size);
  int orientation = 0;
  bool found = false;
  try {
    if (t.u16(2) != 0x2A) return 0;
    std::uint32_t off = t.u32(4);
    std::size_t entries = t.u16(off);
    off += 2;
    for (std::size_t i = 0; i < entries; ++i, off += 12) {
      std::uint16_t tag = t.u16(off);
      read_entry_like_opencv(t, off, tag);
      if (tag == 0x0112 && !found) {
        orientation = t.u16(std::size_t(off) + 8);
        found = true;
      }
    }
  } catch (const ExifOutOfRange&) {
  }
  return orientation;
}

// A JPEG's: OpenCV reads the first APP1 segment whatever its identifier, the
// TIFF structure 6 bytes in.
int jpeg_orientation(const jpeg_decompress_struct& cinfo) {
  const jpeg_marker_struct* app1 = cinfo.marker_list;
  while (app1 && app1->marker != JPEG_APP0 + 1) app1 = app1->next;
  if (!app1 || app1->data_length <= 6) return 0;
  return tiff_orientation(app1->data + 6, app1->data_length - 6);
}

// As OpenCV's ApplyExifOrientation.
void apply_orientation(cv::Mat& img, int orientation) {
  switch (orientation) {
    case 2:  // top-right: mirrored
      cv::flip(img, img, 1);
      break;
    case 3:  // bottom-right: rotated 180
      cv::flip(img, img, -1);
      break;
    case 4:  // bottom-left
      cv::flip(img, img, 0);
      break;
    case 5:  // left-top
      cv::transpose(img, img);
      break;
    case 6:  // right-top: rotated 90 clockwise
      cv::transpose(img, img);
      cv::flip(img, img, 1);
      break;
    case 7:  // right-bottom
      cv::transpose(img, img);
      cv::flip(img, img, -1);
      break;
    case 8:  // left-bottom: rotated 90 counter-clockwise
      cv::transpose(img, img);
      cv::flip(img, img, 0);
      break;
    default:  // 1, absent or invalid: as stored
      break;
  }
}

// ---- PNG -------------------------------------------------------------------

struct PngState {
  png_structp png;
  png_infop info, end;
  const unsigned char* data;
  std::size_t size, pos;
  bool out_of_data;
  char message[256];
};

void png_on_error(png_structp png, png_const_charp msg) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof s->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) {
    s->out_of_data = true;
    png_error(png, "PNG data ends early");
  }
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

// Reads up to the image data. s must be zeroed but for data and size.
int png_open_c(PngState* s) {
  s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, png_on_error, png_on_warning);
  if (!s->png) return kFailed;
  s->info = png_create_info_struct(s->png);
  s->end = png_create_info_struct(s->png);
  if (!s->info || !s->end) return kFailed;
  if (setjmp(png_jmpbuf(s->png))) return kFailed;
  png_set_read_fn(s->png, s, png_read_memory);
  png_read_info(s->png, s->info);
  return kDone;
}

// The transformations OpenCV 4.6's PngDecoder asks for an 8-bit, 3-channel
// image, less the swap to BGR.
int png_read_rgb_c(PngState* s, png_bytepp rows, std::size_t row_bytes) {
  if (setjmp(png_jmpbuf(s->png))) return kFailed;
  png_structp png = s->png;
  int depth = png_get_bit_depth(png, s->info), type = png_get_color_type(png, s->info);
  if (depth == 16) png_set_strip_16(png);  // the high byte
  png_set_strip_alpha(png);                // also drops tRNS transparency
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((type & PNG_COLOR_MASK_COLOR) == 0 && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if ((type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, s->info);
  if (png_get_rowbytes(png, s->info) != row_bytes) png_error(png, "unexpected row layout after conversion to RGB");
  png_read_image(png, rows);
  png_read_end(png, s->end);
  return kDone;
}

// A PNG's, from its eXIf chunk (the TIFF structure alone), before or after
// the image data, as OpenCV 4.6 reads it.
int png_orientation(const PngState& s) {
  png_uint_32 size = 0;
  png_bytep exif = nullptr;
  if (png_get_valid(s.png, s.info, PNG_INFO_eXIf))
    png_get_eXIf_1(s.png, s.info, &size, &exif);
  else if (png_get_valid(s.png, s.end, PNG_INFO_eXIf))
    png_get_eXIf_1(s.png, s.end, &size, &exif);
  return exif && size > 0 ? tiff_orientation(exif, size) : 0;
}

// ---- common ------------------------------------------------------------------

void check_size(unsigned long width, unsigned long height, const ImageLimits& limits, const std::string& source) {
  const std::string size = " (" + std::to_string(width) + "x" + std::to_string(height) + ")";
  if (static_cast<double>(width) * static_cast<double>(height) > static_cast<double>(limits.max_pixels))
    throw ImageTooLarge(source, "image is over " + std::to_string(limits.max_pixels) + " pixels" + size);
  if (width > static_cast<unsigned long>(limits.max_side) || height > static_cast<unsigned long>(limits.max_side))
    throw ImageTooLarge(source, "image side is over the cap of " + std::to_string(limits.max_side) + " pixels" + size);
  if (limits.admit) limits.admit(long(width * height));
}

Error undecodable(const std::string& source, const std::string& why) {
  return Error(source, "image does not decode (" + why + ")");
}

cv::Mat decode_jpeg(std::string_view bytes, const std::string& source, const ImageLimits& limits) {
  JpegState s;
  std::memset(&s, 0, sizeof s);
  struct Release {
    JpegState& s;
    ~Release() {
      if (s.cinfo.err) jpeg_destroy_decompress(&s.cinfo);
    }
  } release{s};
  auto fail = [&](int step) {
    if (s.err.warned) return undecodable(source, std::string("corrupt or truncated JPEG data: ") + s.err.message);
    return undecodable(source, step == kOutOfData ? std::string("truncated JPEG data")
                                                  : std::string("corrupt JPEG data: ") + s.err.message);
  };
  int step = jpeg_open_c(&s, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  if (step != kDone) throw fail(step);
  check_size(s.cinfo.image_width, s.cinfo.image_height, limits, source);
  cv::Mat rgb(static_cast<int>(s.cinfo.image_height), static_cast<int>(s.cinfo.image_width), CV_8UC3);
  int orientation = jpeg_orientation(s.cinfo);
  step = jpeg_read_rgb_c(&s, rgb.data, rgb.step);
  if (step != kDone) throw fail(step);
  apply_orientation(rgb, orientation);
  return rgb;
}

cv::Mat decode_png(std::string_view bytes, const std::string& source, const ImageLimits& limits) {
  PngState s;
  std::memset(&s, 0, sizeof s);
  s.data = reinterpret_cast<const unsigned char*>(bytes.data());
  s.size = bytes.size();
  struct Release {
    PngState& s;
    ~Release() { png_destroy_read_struct(&s.png, &s.info, &s.end); }
  } release{s};
  auto fail = [&] {
    return undecodable(source, s.out_of_data ? std::string("truncated PNG data")
                                             : std::string("corrupt PNG data: ") +
                                                   (s.message[0] ? s.message : "libpng could not start"));
  };
  if (png_open_c(&s) != kDone) throw fail();
  png_uint_32 width = png_get_image_width(s.png, s.info), height = png_get_image_height(s.png, s.info);
  check_size(width, height, limits, source);
  cv::Mat rgb(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = rgb.ptr(static_cast<int>(y));
  if (png_read_rgb_c(&s, rows.data(), std::size_t(width) * 3) != kDone) throw fail();
  apply_orientation(rgb, png_orientation(s));
  return rgb;
}

}  // namespace

ImageFormat sniff_image_format(std::string_view bytes) {
  if (bytes.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
  if (bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  return ImageFormat::Unknown;
}

cv::Mat decode_image_rgb(std::string_view bytes, const std::string& source, const ImageLimits& limits) {
  if (bytes.empty()) throw Error(source, "empty image file");
  switch (sniff_image_format(bytes)) {
    case ImageFormat::Jpeg:
      return decode_jpeg(bytes, source, limits);
    case ImageFormat::Png:
      return decode_png(bytes, source, limits);
    default:
      throw undecodable(source, "not a JPEG or PNG file; those are the formats maskwatch reads");
  }
}

}  // namespace mw
