#include "data/shard.h"

#include <cstring>

#include "maskwatch.h"

namespace mw {

namespace {
constexpr char kMagic[8] = {'M', 'W', 'S', 'H', 'A', 'R', 'D', '1'};

template <class T>
void put_raw(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Reader {
  const std::string& b;
  const std::string& src;
  std::size_t pos = 0;
  template <class T>
  T raw() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  void need(std::size_t n) {
    if (b.size() - pos < n) throw Error(src, "shard is truncated at byte " + std::to_string(pos));
  }
};
}  // namespace

void Shard::add(const std::uint8_t* rgb, int label, int face, const std::string& stem) {
  pixels.insert(pixels.end(), rgb, rgb + crop_bytes());
  labels.push_back(static_cast<std::uint8_t>(label));
  face_px.push_back(static_cast<std::uint16_t>(std::min(face, 65535)));
  stems.push_back(stem);
}

Shard Shard::head(long n) const {
  if (n <= 0 || static_cast<std::size_t>(n) >= count()) return *this;
  Shard s;
  s.size = size;
  for (long i = 0; i < n; ++i) s.add(crop(i), labels[i], face_px[i], stems[i]);
  return s;
}

Shard Shard::joined(const Shard& other) const {
  if (other.size != size)
    throw Error("shards",
                "cannot join crops of " + std::to_string(size) + " and " + std::to_string(other.size) + " px");
  Shard s = *this;
  s.pixels.insert(s.pixels.end(), other.pixels.begin(), other.pixels.end());
  s.labels.insert(s.labels.end(), other.labels.begin(), other.labels.end());
  s.face_px.insert(s.face_px.end(), other.face_px.begin(), other.face_px.end());
  s.stems.insert(s.stems.end(), other.stems.begin(), other.stems.end());
  return s;
}

std::string encode_shard(const Shard& s) {
  std::string out(kMagic, sizeof kMagic);
  put_raw<std::uint32_t>(out, static_cast<std::uint32_t>(s.count()));
  put_raw<std::uint32_t>(out, static_cast<std::uint32_t>(s.size));
  for (std::size_t i = 0; i < s.count(); ++i) {
    put_raw<std::uint8_t>(out, s.labels[i]);
    put_raw<std::uint16_t>(out, s.face_px[i]);
    put_raw<std::uint16_t>(out, static_cast<std::uint16_t>(s.stems[i].size()));
    out += s.stems[i];
  }
  out.append(reinterpret_cast<const char*>(s.pixels.data()), s.pixels.size());
  return out;
}

Shard decode_shard(const std::string& bytes, const std::string& source) {
  Reader r{bytes, source};
  r.need(sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) throw Error(source, "not a maskwatch shard");
  r.pos = sizeof kMagic;
  Shard s;
  auto n = r.raw<std::uint32_t>();
  s.size = static_cast<int>(r.raw<std::uint32_t>());
  if (s.size <= 0 || s.size > 1024) throw Error(source, "bad crop size " + std::to_string(s.size));
  for (std::uint32_t i = 0; i < n; ++i) {
    s.labels.push_back(r.raw<std::uint8_t>());
    if (s.labels.back() >= kNumClasses) throw Error(source, "bad label in record " + std::to_string(i));
    s.face_px.push_back(r.raw<std::uint16_t>());
    auto len = r.raw<std::uint16_t>();
    r.need(len);
    s.stems.emplace_back(bytes.data() + r.pos, len);
    r.pos += len;
  }
  r.need(s.crop_bytes() * n);
  if (bytes.size() - r.pos != s.crop_bytes() * n) throw Error(source, "shard has trailing bytes");
  s.pixels.assign(bytes.begin() + static_cast<std::ptrdiff_t>(r.pos), bytes.end());
  return s;
}

std::string shard_key(const std::string& split) { return "shards/" + split + ".bin"; }

Shard load_shard(const ObjectStore& store, const std::string& split) {
  auto key = shard_key(split);
  if (!store.exists(key)) throw Error(store.uri() + "/" + key, "no shard: run 'maskwatch prepare' first");
  return decode_shard(store.get(key), store.uri() + "/" + key);
}

}  // namespace mw
