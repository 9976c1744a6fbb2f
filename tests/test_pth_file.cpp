// model/pth_file: torch.save files read without LibTorch. Files are crafted
// here (fuzz/pth_zip.h) or written by PyTorch 1.13 (the fuzz seed
// tests/fuzz/seeds/fuzz_pth/state.pth); each crafted one is also a fuzz seed.
#include <gtest/gtest.h>

#include <cstring>

#include "core/paths.h"
#include "fixture.h"
#include "fuzz/pth_zip.h"
#include "maskwatch.h"
#include "model/pth_file.h"

using namespace mw;
using namespace mw::pth_test;

namespace {

// The error's reason, or "" when parsing succeeds.
std::string reason_of(const std::string& bytes) {
  try {
    parse_pth_state_dict(bytes, "crafted.pth");
  } catch (const Error& e) {
    return e.reason();
  }
  return "";
}

// The same, and the file is kept as a fuzz seed.
std::string parse_error(const std::string& name, const std::string& bytes) {
  fixture::save_fuzz_seed("fuzz_pth", name, bytes);
  return reason_of(bytes);
}

// {"w": the view} over a float storage of 1, 2, 3, 4.
std::string one_tensor(std::int64_t offset, const std::vector<std::int64_t>& size,
                       const std::vector<std::int64_t>& stride) {
  Pickle p;
  p.op('}').op('(').str("w").tensor("0", 4, offset, size, stride).op('u').op('.');
  return torch_file(p.b, {{"0", float_bytes({1, 2, 3, 4})}});
}

template <class T>
T element(const PthTensor& t, std::int64_t index) {
  T v;
  std::memcpy(&v, t.storage.data() + index * sizeof(T), sizeof(T));
  return v;
}

const PthTensor& named(const std::vector<PthTensor>& tensors, const std::string& name) {
  for (const auto& t : tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

// Where the central directory entry of `name` starts in a crafted file.
std::size_t entry_of(const std::string& bytes, const std::string& name) {
  constexpr std::size_t kNameAt = 46;
  std::size_t at = 0;
  while ((at = bytes.find("PK\x01\x02", at)) != std::string::npos && bytes.compare(at + kNameAt, name.size(), name))
    ++at;
  return at;
}

}  // namespace

TEST(PthFile, ReadsATorchSaveFile) {
  const std::string bytes = read_file(MASKWATCH_SOURCE_DIR "/tests/fuzz/seeds/fuzz_pth/state.pth");
  const auto tensors = parse_pth_state_dict(bytes, "state.pth");
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[0].name, "fc.weight");  // the file's order

  const auto& w = named(tensors, "fc.weight");
  EXPECT_EQ(w.dtype, PthDtype::kFloat32);
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(w.strides, (std::vector<std::int64_t>{3, 1}));
  ASSERT_EQ(w.storage_elements(), 6);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(element<float>(w, k), float(k));

  const auto& wt = named(tensors, "fc.weight_t");  // w.t(): the same storage, strided
  EXPECT_EQ(wt.storage_key, w.storage_key);
  EXPECT_EQ(wt.storage.data(), w.storage.data());
  EXPECT_EQ(wt.shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(wt.strides, (std::vector<std::int64_t>{1, 3}));

  const auto& row = named(tensors, "row");  // w[1, 1:]
  EXPECT_EQ(row.storage_offset, 4);
  EXPECT_EQ(row.shape, (std::vector<std::int64_t>{2}));

  const auto& bias = named(tensors, "fc.bias");
  EXPECT_EQ(bias.dtype, PthDtype::kFloat64);
  EXPECT_EQ(element<double>(bias, 1), -1.5);
  const auto& count = named(tensors, "bn.num_batches_tracked");
  EXPECT_EQ(count.dtype, PthDtype::kInt64);
  EXPECT_TRUE(count.shape.empty());
  EXPECT_EQ(count.numel(), 1);
  EXPECT_EQ(element<std::int64_t>(count, 0), 7);
  const auto& half = named(tensors, "half");
  EXPECT_EQ(half.dtype, PthDtype::kFloat16);
  EXPECT_EQ(element<std::uint16_t>(half, 1), 0x4000);  // 2.0 in IEEE half

  // Cut anywhere, the file is refused, never misread.
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 30, bytes.size() / 2, std::size_t{10}})
    EXPECT_NE(parse_error("cut", bytes.substr(0, cut)), "") << cut;
}

TEST(PthFile, ReadsCraftedViews) {
  const auto bytes = one_tensor(1, {3}, {1});  // the tensors view it
  auto tensors = parse_pth_state_dict(bytes, "crafted.pth");
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].storage_offset, 1);
  EXPECT_EQ(element<float>(tensors[0], 3), 4.f);
  EXPECT_EQ(parse_error("empty-at-end", one_tensor(4, {0}, {1})), "");  // an empty view may start at the end
  EXPECT_EQ(parse_error("zero-stride", one_tensor(3, {1000, 1000}, {0, 0})), "");
}

TEST(PthFile, RefusesViewsPastTheStorage) {
  const std::int64_t big = std::int64_t{1} << 62;
  struct View {
    std::int64_t offset;
    std::vector<std::int64_t> size, stride;
    const char* why;
  };
  for (const auto& v : std::vector<View>{
           {0, {3}, {big}, "reaches past its storage"},                    // (3 - 1) * 2^62 wraps to a negative reach
           {0, {2, 2}, {big, big + big / 2}, "reaches past its storage"},  // the sum of two reaches wraps
           {0, {big, big}, {0, 0}, "reaches past its storage"},            // in range, but 2^124 elements
           {0, {5}, {1}, "reaches past its storage"},                      // one past the end
           {2, {2, 2}, {1, 1}, "reaches past its storage"},                // the last element, 4, is past
           {5, {0}, {1}, "reaches past its storage"},                      // empty, but starting past the end
           {big, {1}, {1}, "reaches past its storage"},
           {0, {2}, {-1}, "negative tensor size or stride"},
           {0, {-2}, {1}, "negative tensor size or stride"},
           {-1, {1}, {1}, "negative storage offset"},
           {0, {2, 2}, {1}, "size and stride differ in length"},
           {0, std::vector<std::int64_t>(65, 1), std::vector<std::int64_t>(65, 0), "more than 64 dimensions"}}) {
    const auto why = parse_error("view", one_tensor(v.offset, v.size, v.stride));
    EXPECT_NE(why.find(v.why), std::string::npos) << why;
  }
}

TEST(PthFile, RefusesStoragesThatDisagreeWithThePickle) {
  auto file = [](const std::string& type, std::int64_t numel, const std::string& bytes) {
    Pickle p;
    p.op('}').op('(').str("w").tensor("0", numel, 0, {1}, {1}, type).op('u').op('.');
    return torch_file(p.b, {{"0", bytes}});
  };
  EXPECT_NE(
      parse_error("numel", file("FloatStorage", 5, float_bytes({1, 2, 3, 4}))).find("holds 4 elements, expected 5"),
      std::string::npos);
  EXPECT_NE(parse_error("partial", file("DoubleStorage", 2, float_bytes({1, 2, 3}))).find("not a whole number"),
            std::string::npos);
  EXPECT_NE(parse_error("type", file("ComplexFloatStorage", 2, float_bytes({1, 2}))).find("unsupported storage type"),
            std::string::npos);
  Pickle p;
  p.op('}').op('(').str("w").tensor("9", 1, 0, {1}, {1}).op('u').op('.');
  EXPECT_NE(parse_error("missing", torch_file(p.b)).find("storage data/9 is missing"), std::string::npos);
}

TEST(PthFile, RefusesDamagedArchives) {
  const auto good = one_tensor(0, {4}, {1});
  ASSERT_EQ(parse_error("good", good), "");

  auto sizes = good;  // data.pkl's sizes claim 2 GiB
  const std::size_t at = entry_of(sizes, "archive/data.pkl");
  ASSERT_NE(at, std::string::npos);
  for (std::size_t field : {at + 20, at + 24}) std::memcpy(&sizes[field], "\xff\xff\xff\x7f", 4);
  EXPECT_NE(parse_error("claims", sizes).find("zip record 'archive/data.pkl' claims 2147483647 bytes"),
            std::string::npos);

  auto crc = good;  // one storage byte flipped
  crc[good.find("archive/data/0") + std::strlen("archive/data/0")] ^= 1;
  EXPECT_NE(parse_error("crc", crc).find("'archive/data/0' fails its CRC-32 check"), std::string::npos);

  auto deflated = good;  // method 8 in data.pkl's entry
  deflated[at + 10] = 8;
  EXPECT_NE(parse_error("deflated", deflated).find("is compressed (method 8)"), std::string::npos);

  auto local = good;  // the local header moved past the end
  std::memcpy(&local[at + 42], "\xff\xff\xff\x00", 4);
  EXPECT_NE(parse_error("local", local).find("no local header for record 'archive/data.pkl'"), std::string::npos);

  EXPECT_NE(parse_error("flat", zip_of({{"data.pkl", "\x80\x02}."}}, "")).find("not in a folder"), std::string::npos);
  EXPECT_NE(
      parse_error("twice", zip_of({{"data.pkl", "\x80\x02}."}, {"data.pkl", "\x80\x02}."}})).find("appears twice"),
      std::string::npos);
  EXPECT_NE(parse_error("no-pkl", zip_of({{"version", "3\n"}})).find("no data.pkl"), std::string::npos);
  EXPECT_NE(parse_error("big-endian", zip_of({{"data.pkl", "\x80\x02}."}, {"byteorder", "big"}})).find("big-endian"),
            std::string::npos);
  EXPECT_NE(parse_error("no-zip", "not a checkpoint").find("no zip header"), std::string::npos);
  EXPECT_NE(parse_error("legacy", "\x80\x02\x8a\x0a").find("legacy"), std::string::npos);
  EXPECT_NE(parse_error("short", "PK\x03\x04").find("too short"), std::string::npos);
}

TEST(PthFile, RefusesPicklesItCannotTrust) {
  auto pkl_error = [](const std::string& name, const Pickle& p) {
    fixture::save_fuzz_seed("fuzz_pth", "pickle-" + name, p.b);  // fuzz_pth wraps a bare pickle itself
    return parse_error(name, torch_file(p.b));
  };
  Pickle deep;
  deep.op(']', 65).op('a', 64).op('.');
  EXPECT_NE(pkl_error("deep", deep).find("nests deeper than 64"), std::string::npos);
  Pickle self;  // a list appended to itself
  self.op(']').op('2').op('a').op('.');
  EXPECT_NE(pkl_error("self", self).find("already nested"), std::string::npos);
  Pickle objects;
  objects.op('N', 1000001).op('.');
  EXPECT_NE(reason_of(torch_file(objects.b)).find("more than 1000000 objects"), std::string::npos);  // no seed: 1 MB
  Pickle call;
  call.global("os", "system").str("true").op('\x85').op('R').op('.');
  EXPECT_NE(pkl_error("os-system", call).find("unsupported object 'os.system'"), std::string::npos);
  Pickle list;
  list.op(']').op('.');
  EXPECT_NE(pkl_error("list", list).find("holds a list, not a dict"), std::string::npos);
  Pickle number;
  number.op('}').str("epoch").op('K').le(7, 1).op('s').op('.');
  EXPECT_NE(pkl_error("number", number).find("'epoch' is a int, not a tensor"), std::string::npos);
  Pickle cut;
  cut.op('}').str("w");
  EXPECT_NE(pkl_error("cut", cut).find("ends early"), std::string::npos);

  // A seed for the wrapped form: fuzz_pth's data/2 is 64 bytes, 16 floats.
  Pickle wrapped;
  wrapped.op('}').op('(').str("w").tensor("2", 16, 1, {3, 5}, {5, 1}).op('u').op('.');
  fixture::save_fuzz_seed("fuzz_pth", "pickle-tensor", wrapped.b);
}

TEST(PthFile, ReadsWrappedStateDicts) {
  Pickle p;  // {"state_dict": {"a": x, "b": x}, "epoch": 7}: one storage, two names
  p.op('}').op('(').str("state_dict").op('}').op('(').str("a").tensor("0", 4, 0, {4}, {1}).op('q').le(1, 1);
  p.str("b").op('h').le(1, 1).op('u').str("epoch").op('K').le(7, 1).op('u').op('.');
  const auto bytes = torch_file(p.b, {{"0", float_bytes({1, 2, 3, 4})}});
  fixture::save_fuzz_seed("fuzz_pth", "wrapped", bytes);
  const auto tensors = parse_pth_state_dict(bytes, "wrapped.pth");
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].name, "a");
  EXPECT_EQ(tensors[1].name, "b");
  EXPECT_EQ(tensors[0].storage.data(), tensors[1].storage.data());
  EXPECT_EQ(element<float>(tensors[1], 2), 3.f);
}
