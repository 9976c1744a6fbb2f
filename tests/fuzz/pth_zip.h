// torch.save files made in memory, for test_pth_file.cpp and fuzz_pth: a zip
// of stored records in one folder, with their CRC-32 (as torch.save writes
// it), and a pickle written opcode by opcode (protocol 2, as its data.pkl).
#pragma once
#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mw::pth_test {

using Records = std::vector<std::pair<std::string, std::string>>;  // name in the folder, bytes

inline void put_le(std::string& out, std::uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

// The zip: each record under "<folder>/" (or at the top, for ""), stored, then the central directory.
inline std::string zip_of(const Records& records, const std::string& folder = "archive") {
  std::string out, dir;
  for (const auto& [name, bytes] : records) {
    const std::string full = folder.empty() ? name : folder + "/" + name;
    const auto crc = crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
    const std::uint64_t local = out.size();
    put_le(out, 0x04034b50, 4), put_le(out, 20, 2), put_le(out, 0, 2), put_le(out, 0, 2), put_le(out, 0, 4);
    put_le(out, crc, 4), put_le(out, bytes.size(), 4), put_le(out, bytes.size(), 4);
    put_le(out, full.size(), 2), put_le(out, 0, 2);
    out += full + bytes;
    put_le(dir, 0x02014b50, 4), put_le(dir, 20, 2), put_le(dir, 20, 2), put_le(dir, 0, 2), put_le(dir, 0, 2);
    put_le(dir, 0, 4), put_le(dir, crc, 4), put_le(dir, bytes.size(), 4), put_le(dir, bytes.size(), 4);
    put_le(dir, full.size(), 2), put_le(dir, 0, 2), put_le(dir, 0, 2), put_le(dir, 0, 2), put_le(dir, 0, 2);
    put_le(dir, 0, 4), put_le(dir, local, 4);
    dir += full;
  }
  const std::uint64_t dir_at = out.size();
  out += dir;
  put_le(out, 0x06054b50, 4), put_le(out, 0, 2), put_le(out, 0, 2), put_le(out, records.size(), 2);
  put_le(out, records.size(), 2), put_le(out, dir.size(), 4), put_le(out, dir_at, 4), put_le(out, 0, 2);
  return out;
}

// A torch.save file: data.pkl, byteorder, then the storages as data/<key>.
inline std::string torch_file(const std::string& pkl, const Records& storages = {}) {
  Records records = {{"data.pkl", pkl}, {"byteorder", "little"}};
  for (const auto& [key, bytes] : storages) records.emplace_back("data/" + key, bytes);
  records.emplace_back("version", "3\n");
  return zip_of(records);
}

struct Pickle {
  std::string b = "\x80\x02";
  Pickle& op(char c, std::size_t times = 1) {
    b.append(times, c);
    return *this;
  }
  Pickle& le(std::uint64_t v, int n) {
    put_le(b, v, n);
    return *this;
  }
  Pickle& str(const std::string& s) {
    op('X').le(s.size(), 4);
    b += s;
    return *this;
  }
  Pickle& integer(std::int64_t v) { return op('\x8a').op(8).le(static_cast<std::uint64_t>(v), 8); }
  Pickle& global(const std::string& module, const std::string& name) {
    b += "c" + module + "\n" + name + "\n";
    return *this;
  }
  Pickle& ints(const std::vector<std::int64_t>& v) {
    op('(');
    for (auto x : v) integer(x);
    return op('t');
  }
  // torch._utils._rebuild_tensor_v2 over storage `key` (of class torch.<type>) of `numel` elements.
  Pickle& tensor(const std::string& key, std::int64_t numel, std::int64_t offset, const std::vector<std::int64_t>& size,
                 const std::vector<std::int64_t>& stride, const std::string& type = "FloatStorage") {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t').op('Q');
    integer(offset).ints(size).ints(stride).op('\x89');
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
};

// The bytes of these floats.
inline std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

}  // namespace mw::pth_test
