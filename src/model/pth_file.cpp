#include "model/pth_file.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "maskwatch.h"

namespace mw {

std::size_t pth_element_size(PthDtype dtype) {
  switch (dtype) {
    case PthDtype::kFloat64:
    case PthDtype::kInt64:
      return 8;
    case PthDtype::kFloat32:
    case PthDtype::kInt32:
      return 4;
    case PthDtype::kFloat16:
    case PthDtype::kBFloat16:
    case PthDtype::kInt16:
      return 2;
    case PthDtype::kInt8:
    case PthDtype::kUInt8:
    case PthDtype::kBool:
      return 1;
  }
  return 1;
}

const char* pth_dtype_name(PthDtype dtype) {
  static const char* names[] = {"float32", "float64", "float16", "bfloat16", "int64",
                                "int32",   "int16",   "int8",    "uint8",    "bool"};
  return names[static_cast<int>(dtype)];
}

std::int64_t PthTensor::storage_elements() const {
  return static_cast<std::int64_t>(storage.size() / pth_element_size(dtype));
}

std::int64_t PthTensor::numel() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

namespace {

// ---- the zip container --------------------------------------------------------
// torch.save writes a zip of stored (uncompressed) records, all in one folder
// (named after the file): data.pkl, byteorder, data/<storage key>, version.

constexpr std::uint32_t kLocalSig = 0x04034b50, kEntrySig = 0x02014b50, kEocdSig = 0x06054b50, kLocatorSig = 0x07064b50,
                        kEocd64Sig = 0x06064b50;
constexpr std::uint64_t kEocd = 22, kLocator = 20, kEocd64 = 56, kEntry = 46, kLocal = 30;
constexpr std::uint64_t kMaxComment = 0xffff;
constexpr std::uint64_t kZip64Field = 0xffffffff;  // "the value is in the zip64 extra field"
constexpr std::uint64_t kZip64ExtraId = 0x0001;
constexpr std::uint64_t kEncryptedFlag = 1;
constexpr std::uint64_t kStored = 0;

// Unsigned little-endian; the caller has checked that [at, at + n) lies in b.
std::uint64_t read_le(std::string_view b, std::uint64_t at, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= std::uint64_t(static_cast<std::uint8_t>(b[at + k])) << (8 * k);
  return v;
}

struct ZipEntry {
  std::uint64_t comp = 0, uncomp = 0, local = 0, crc = 0, method = 0, flags = 0;
};

class ZipArchive {
 public:
  ZipArchive(std::string_view bytes, const std::string& source) : b_(bytes), source_(source) {
    read_directory(find_directory());
    if (first_.empty()) throw bad("no records");
    const auto slash = first_.find('/');
    if (slash == std::string::npos) throw bad("record '" + first_ + "' is not in a folder");
    prefix_ = first_.substr(0, slash + 1);
  }

  bool has(const std::string& name) const { return entries_.count(prefix_ + name) > 0; }

  // The bytes of record `name` (inside the archive's folder), checked against its CRC-32.
  std::string_view record(const std::string& name) const {
    const std::string full = prefix_ + name;
    auto it = entries_.find(full);
    if (it == entries_.end()) throw Error(source_, "no record " + name + " in the archive");
    const ZipEntry& e = it->second;
    if (e.flags & kEncryptedFlag) throw bad("record '" + full + "' is encrypted");
    if (e.method != kStored || e.comp != e.uncomp)
      throw bad("record '" + full + "' is compressed (method " + std::to_string(e.method) +
                "); torch.save stores its records uncompressed");
    if (e.local > b_.size() || kLocal > b_.size() - e.local || read_le(b_, e.local, 4) != kLocalSig)
      throw bad("no local header for record '" + full + "'");
    const std::uint64_t start = e.local + kLocal + read_le(b_, e.local + 26, 2) + read_le(b_, e.local + 28, 2);
    if (start > b_.size() || e.uncomp > b_.size() - start) throw bad("record '" + full + "' runs past the end");
    const std::string_view data = b_.substr(start, e.uncomp);
    if (crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), data.size()) != e.crc)
      throw bad("record '" + full + "' fails its CRC-32 check");
    return data;
  }

 private:
  struct Directory {
    std::uint64_t entries = 0, size = 0, offset = 0;
  };

  Error bad(const std::string& why) const { return Error(source_, "damaged zip archive: " + why); }

  // The last end-of-central-directory record in the final 64 KiB (as miniz
  // finds it), and the zip64 one when a locator precedes it.
  Directory find_directory() const {
    const std::uint64_t size = b_.size();
    if (size < kEocd) throw bad("too short");
    std::uint64_t eocd = size;
    for (std::uint64_t at = size - kEocd + 1; at-- > 0 && size - at <= kMaxComment + kEocd;)
      if (read_le(b_, at, 4) == kEocdSig) {
        eocd = at;
        break;
      }
    if (eocd == size) throw bad("no end of central directory (cut short?)");
    Directory d{read_le(b_, eocd + 10, 2), read_le(b_, eocd + 12, 4), read_le(b_, eocd + 16, 4)};
    if (eocd >= kLocator && read_le(b_, eocd - kLocator, 4) == kLocatorSig) {
      std::uint64_t at = read_le(b_, eocd - kLocator + 8, 8);
      auto valid = [&](std::uint64_t ofs) {
        return size >= kEocd64 && ofs <= size - kEocd64 && read_le(b_, ofs, 4) == kEocd64Sig;
      };
      if (!valid(at)) at = eocd >= kLocator + kEocd64 ? eocd - kLocator - kEocd64 : size;
      if (!valid(at)) throw bad("no zip64 end of central directory");
      d = {read_le(b_, at + 32, 8), read_le(b_, at + 40, 8), read_le(b_, at + 48, 8)};
    }
    if (d.offset > size || d.size > size - d.offset) throw bad("the central directory lies outside the file");
    return d;
  }

  void read_directory(const Directory& d) {
    const std::uint64_t end = d.offset + d.size;
    std::uint64_t at = d.offset;
    for (std::uint64_t k = 0; k < d.entries; ++k) at = read_entry(at, end, k);
  }

  // The central directory entry at `at` (of the directory ending at `end`); returns where the next one starts.
  std::uint64_t read_entry(std::uint64_t at, std::uint64_t end, std::uint64_t k) {
    if (kEntry > end - at || read_le(b_, at, 4) != kEntrySig) throw bad("central directory entry " + std::to_string(k));
    ZipEntry e;
    e.flags = read_le(b_, at + 8, 2), e.method = read_le(b_, at + 10, 2), e.crc = read_le(b_, at + 16, 4);
    e.comp = read_le(b_, at + 20, 4), e.uncomp = read_le(b_, at + 24, 4), e.local = read_le(b_, at + 42, 4);
    const std::uint64_t name_len = read_le(b_, at + 28, 2), extra_len = read_le(b_, at + 30, 2),
                        comment_len = read_le(b_, at + 32, 2);
    if (name_len + extra_len + comment_len > end - at - kEntry)
      throw bad("central directory entry " + std::to_string(k));
    const std::string name(b_.substr(at + kEntry, name_len));
    read_zip64_extra(at + kEntry + name_len, extra_len, e);
    const std::uint64_t size = b_.size();
    if (e.uncomp > size || e.comp > size)
      throw Error(source_, "zip record '" + name + "' claims " + std::to_string(std::max(e.uncomp, e.comp)) +
                               " bytes, more than the whole file (" + std::to_string(size) + " bytes)");
    if (!entries_.emplace(name, e).second) throw bad("record '" + name + "' appears twice");
    if (k == 0) first_ = name;
    return at + kEntry + name_len + extra_len + comment_len;
  }

  // The zip64 extra field holds, in this order, whichever of these the entry marks 0xffffffff.
  void read_zip64_extra(std::uint64_t x, std::uint64_t extra_len, ZipEntry& e) const {
    for (const std::uint64_t x_end = x + extra_len; x + 4 <= x_end;) {
      const std::uint64_t id = read_le(b_, x, 2), len = read_le(b_, x + 2, 2);
      if (len > x_end - x - 4) break;
      if (id == kZip64ExtraId) {
        std::uint64_t f = x + 4;
        for (std::uint64_t* field : {&e.uncomp, &e.comp, &e.local})
          if (*field == kZip64Field && f + 8 <= x + 4 + len) {
            *field = read_le(b_, f, 8);
            f += 8;
          }
      }
      x += 4 + len;
    }
  }

  std::string_view b_;
  const std::string& source_;
  std::map<std::string, ZipEntry> entries_;
  std::string first_, prefix_;
};

// ---- a pickle reader for torch.save's data.pkl ------------------------------
// LibTorch's own unpickler turns collections.OrderedDict (what state_dict()
// returns) into None, so this one reads the subset of pickle that torch.save
// writes: containers, numbers, strings, and tensors rebuilt from storages.

struct Obj;
using Ptr = std::shared_ptr<Obj>;
struct Obj {
  enum Kind { kNone, kBool, kInt, kFloat, kStr, kTuple, kList, kDict, kGlobal, kTensor, kMark };
  Kind kind = kNone;
  std::int64_t i = 0;
  double f = 0;
  std::string s;                             // str, bytes, or a global's "module.name"
  std::vector<Ptr> items;                    // tuple, list
  std::vector<std::pair<Ptr, Ptr>> entries;  // dict, in insertion order
  std::shared_ptr<const PthTensor> t;        // tensor, or a storage as a 1-D tensor (no name)
  int depth = 1;                             // 1 + the deepest item's depth; 1 for no items
  bool nested = false;                       // inside a container: then final, so no container can reach itself
};

// Limits for hostile files: far beyond any state_dict, small enough that
// nothing exhausts the stack (objects are freed recursively) or memory.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxObjects = 1000000;  // objects, stack entries and memo entries, each
constexpr std::size_t kMaxDims = 64;          // a tensor's dimensions
constexpr std::size_t kStorageArgs = 5;       // ('storage', type, key, location, numel)

const char* kind_name(Obj::Kind k) {
  static const char* names[] = {"None", "bool", "int",    "float",  "str", "tuple",
                                "list", "dict", "global", "tensor", "mark"};
  return names[k];
}

std::optional<PthDtype> storage_dtype(const std::string& type) {
  static const std::map<std::string, PthDtype> types = {
      {"torch.FloatStorage", PthDtype::kFloat32}, {"torch.DoubleStorage", PthDtype::kFloat64},
      {"torch.HalfStorage", PthDtype::kFloat16},  {"torch.BFloat16Storage", PthDtype::kBFloat16},
      {"torch.LongStorage", PthDtype::kInt64},    {"torch.IntStorage", PthDtype::kInt32},
      {"torch.ShortStorage", PthDtype::kInt16},   {"torch.CharStorage", PthDtype::kInt8},
      {"torch.ByteStorage", PthDtype::kUInt8},    {"torch.BoolStorage", PthDtype::kBool}};
  auto it = types.find(type);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

class Unpickler {
 public:
  Unpickler(std::string_view pkl, const ZipArchive& zip, const std::string& source)
      : p_(pkl), zip_(zip), source_(source) {}

  Ptr run() {
    for (;;) {
      const std::uint8_t op = u8();
      if (op == '.') return pop();  // STOP
      step(op);
    }
  }

 private:
  void step(std::uint8_t op) {
    if (!push_value(op) && !build(op) && !stack_op(op)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      fail(std::string("unsupported pickle opcode ") + hex + " at byte " + std::to_string(pos_ - 1));
    }
  }

  // The opcodes that push a value read from the pickle; false for any other.
  bool push_value(std::uint8_t op) {
    switch (op) {
      case '(':
        push(make(Obj::kMark));
        return true;
      case 'N':
        push(make(Obj::kNone));
        return true;
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        auto o = make(Obj::kBool);
        o->i = op == 0x88;
        push(o);
        return true;
      }
      case 'J':  // BININT
        push(make_int(static_cast<std::int32_t>(le(4))));
        return true;
      case 'K':  // BININT1
        push(make_int(static_cast<std::int64_t>(le(1))));
        return true;
      case 'M':  // BININT2
        push(make_int(static_cast<std::int64_t>(le(2))));
        return true;
      case 0x8a:  // LONG1
        push(make_int(long1(u8())));
        return true;
      case 'G':  // BINFLOAT, big-endian
        push(binfloat());
        return true;
      case 'X':  // BINUNICODE
      case 'T':  // BINSTRING
      case 'B':  // BINBYTES
        push(make_str(bytes(le(4))));
        return true;
      case 0x8c:  // SHORT_BINUNICODE
      case 'U':   // SHORT_BINSTRING
      case 'C':   // SHORT_BINBYTES
        push(make_str(bytes(u8())));
        return true;
      case 0x8d:  // BINUNICODE8
        push(make_str(bytes(le(8))));
        return true;
      case 'c': {  // GLOBAL
        auto module = line();
        push(make_str(module + "." + line(), Obj::kGlobal));
        return true;
      }
    }
    return false;
  }

  // The opcodes that build containers and objects; false for any other.
  bool build(std::uint8_t op) {
    switch (op) {
      case ')':  // EMPTY_TUPLE
        push(make(Obj::kTuple));
        return true;
      case ']':  // EMPTY_LIST
        push(make(Obj::kList));
        return true;
      case '}':  // EMPTY_DICT
        push(make(Obj::kDict));
        return true;
      case 't':  // TUPLE
        push(tuple(pop_mark()));
        return true;
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87:  // TUPLE3
        push(tuple(pop_n(op - 0x84u)));
        return true;
      case 'l': {  // LIST
        auto o = make(Obj::kList);
        o->items = pop_mark();
        for (auto& item : o->items) adopt(*o, item, "LIST");
        push(o);
        return true;
      }
      case 'd': {  // DICT
        auto o = make(Obj::kDict);
        set_items(*o, pop_mark(), "DICT");
        push(o);
        return true;
      }
      case 'a': {  // APPEND
        auto v = pop();
        auto list = expect(top(), Obj::kList, "APPEND");
        adopt(*list, v, "APPEND");
        list->items.push_back(v);
        return true;
      }
      case 'e': {  // APPENDS
        auto vs = pop_mark();
        auto list = expect(top(), Obj::kList, "APPENDS");
        for (auto& v : vs) adopt(*list, v, "APPENDS");
        list->items.insert(list->items.end(), vs.begin(), vs.end());
        return true;
      }
      case 's': {  // SETITEM
        auto v = pop();
        auto k = pop();
        set_items(*expect(top(), Obj::kDict, "SETITEM"), {k, v}, "SETITEM");
        return true;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_mark();
        set_items(*expect(top(), Obj::kDict, "SETITEMS"), kv, "SETITEMS");
        return true;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        push(make_str(module->s + "." + name->s, Obj::kGlobal));
        return true;
      }
      case 'Q':  // BINPERSID
        push(persistent(pop()));
        return true;
      case 'R':     // REDUCE
      case 0x81: {  // NEWOBJ
        auto args = pop();
        auto fn = pop();
        push(reduce(*fn, *args));
        return true;
      }
    }
    return false;
  }

  // The opcodes that move what is on the stack, or skip; false for any other.
  bool stack_op(std::uint8_t op) {
    switch (op) {
      case 0x80:  // PROTO
        u8();
        return true;
      case 0x95:  // FRAME
        bytes(8);
        return true;
      case 'q':  // BINPUT
        remember(le(1), top());
        return true;
      case 'r':  // LONG_BINPUT
        remember(le(4), top());
        return true;
      case 0x94:  // MEMOIZE
        remember(memo_.size(), top());
        return true;
      case 'h':  // BINGET
        push(memo(le(1)));
        return true;
      case 'j':  // LONG_BINGET
        push(memo(le(4)));
        return true;
      case 'b':  // BUILD: an OrderedDict's _metadata, a tensor's state; not needed
      case '0':  // POP
        pop();
        return true;
      case '1':  // POP_MARK
        pop_mark();
        return true;
      case '2':  // DUP
        push(top());
        return true;
    }
    return false;
  }

  [[noreturn]] void fail(const std::string& why) const { throw Error(source_, "data.pkl: " + why); }

  Ptr make(Obj::Kind k) {
    if (++objects_ > kMaxObjects) fail("more than " + std::to_string(kMaxObjects) + " objects");
    auto o = std::make_shared<Obj>();
    o->kind = k;
    return o;
  }
  Ptr make_int(std::int64_t v) {
    auto o = make(Obj::kInt);
    o->i = v;
    return o;
  }
  Ptr make_str(std::string v, Obj::Kind k = Obj::kStr) {
    auto o = make(k);
    o->s = std::move(v);
    return o;
  }
  Ptr binfloat() {
    std::uint64_t bits = 0;
    for (char c : bytes(8)) bits = (bits << 8) | static_cast<std::uint8_t>(c);
    auto o = make(Obj::kFloat);
    std::memcpy(&o->f, &bits, sizeof bits);
    return o;
  }
  // Puts item into container, which must not itself be inside one: a container
  // is complete before its parent takes it, so no cycle can form, and depths
  // computed here stay true.
  void adopt(Obj& container, const Ptr& item, const char* op) const {
    item->nested = true;
    if (container.nested) fail(std::string(op) + " into a " + kind_name(container.kind) + " that is already nested");
    container.depth = std::max(container.depth, item->depth + 1);
    if (container.depth > kMaxDepth) fail("pickle nests deeper than " + std::to_string(kMaxDepth));
  }
  void remember(std::uint64_t key, Ptr o) {
    if (memo_.size() >= kMaxObjects && !memo_.count(key))
      fail("more than " + std::to_string(kMaxObjects) + " memo entries");
    memo_[key] = std::move(o);
  }

  std::uint8_t u8() {
    if (pos_ >= p_.size()) fail("ends early");
    return static_cast<std::uint8_t>(p_[pos_++]);
  }
  std::string bytes(std::uint64_t n) {
    if (n > p_.size() - pos_) fail("ends early");
    std::string s(p_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::uint64_t le(int n) {  // unsigned little-endian
    std::uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= std::uint64_t(u8()) << (8 * k);
    return v;
  }
  std::int64_t long1(int n) {  // signed little-endian, two's complement
    if (n > 8) fail("integer wider than 64 bits");
    if (n == 0) return 0;
    std::uint64_t v = le(n);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t(0) << (8 * n);
    return static_cast<std::int64_t>(v);
  }
  std::string line() {
    auto end = p_.find('\n', pos_);
    if (end == std::string_view::npos) fail("ends early");
    std::string s(p_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  void push(Ptr o) {
    if (stack_.size() >= kMaxObjects) fail("more than " + std::to_string(kMaxObjects) + " entries on the stack");
    stack_.push_back(std::move(o));
  }
  Ptr top() const {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }
  Ptr pop() {
    auto o = top();
    if (o->kind == Obj::kMark) fail("unexpected mark");
    stack_.pop_back();
    return o;
  }
  std::vector<Ptr> pop_n(std::size_t n) {
    std::vector<Ptr> v(n);
    for (std::size_t k = n; k-- > 0;) v[k] = pop();
    return v;
  }
  std::vector<Ptr> pop_mark() {
    std::size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != Obj::kMark) --m;
    if (m == 0) fail("no mark on the stack");
    std::vector<Ptr> v(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m - 1);
    return v;
  }
  Ptr memo(std::uint64_t k) const {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail("memo entry " + std::to_string(k) + " is not set");
    return it->second;
  }
  Ptr expect(const Ptr& o, Obj::Kind k, const char* op) const {
    if (o->kind != k) fail(std::string(op) + " on a " + kind_name(o->kind) + ", not a " + kind_name(k));
    return o;
  }
  Ptr tuple(std::vector<Ptr> items) {
    auto o = make(Obj::kTuple);
    o->items = std::move(items);
    for (auto& item : o->items) adopt(*o, item, "TUPLE");
    return o;
  }
  void set_items(Obj& dict, const std::vector<Ptr>& kv, const char* op) const {
    if (kv.size() % 2) fail("odd number of items for a dict");
    for (auto& item : kv) adopt(dict, item, op);
    for (std::size_t k = 0; k < kv.size(); k += 2) dict.entries.emplace_back(kv[k], kv[k + 1]);
  }

  std::int64_t as_int(const Ptr& o, const char* what) const {
    if (o->kind != Obj::kInt) fail(std::string(what) + " is a " + kind_name(o->kind) + ", not an int");
    return o->i;
  }
  std::vector<std::int64_t> ints(const Ptr& o, const char* what) const {
    if (o->kind != Obj::kTuple) fail(std::string(what) + " is a " + kind_name(o->kind) + ", not a tuple");
    if (o->items.size() > kMaxDims)
      fail(std::string(what) + " has more than " + std::to_string(kMaxDims) + " dimensions");
    std::vector<std::int64_t> v;
    for (auto& x : o->items) v.push_back(as_int(x, what));
    return v;
  }

  // ('storage', torch.FloatStorage, key, location, numel) -> the storage as a 1-D tensor.
  Ptr persistent(const Ptr& pid) {
    if (pid->kind != Obj::kTuple || pid->items.size() < kStorageArgs || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != Obj::kGlobal || pid->items[2]->kind != Obj::kStr)
      fail("unsupported persistent id (not a tensor storage)");
    const std::string& key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      auto dtype = storage_dtype(pid->items[1]->s);
      if (!dtype) fail("unsupported storage type '" + pid->items[1]->s + "'");
      auto o = make(Obj::kTensor);
      o->t = std::make_shared<const PthTensor>(load_storage(key, *dtype, as_int(pid->items[4], "storage size")));
      it = storages_.emplace(key, o).first;
    }
    return it->second;
  }

  // Storage `key` as a 1-D tensor over all of it, checked against the element count the pickle gives.
  PthTensor load_storage(const std::string& key, PthDtype dtype, std::int64_t numel) const {
    const std::string name = "data/" + key;
    if (!zip_.has(name)) throw Error(source_, "storage " + name + " is missing from the archive");
    PthTensor t;
    t.dtype = dtype;
    t.storage_key = key;
    t.storage = zip_.record(name);
    const std::size_t elem = pth_element_size(dtype);
    if (t.storage.size() % elem) throw Error(source_, "storage " + name + " is not a whole number of elements");
    if (t.storage_elements() != numel)
      fail("storage " + key + " holds " + std::to_string(t.storage_elements()) + " elements, expected " +
           std::to_string(numel));
    t.shape = {numel};
    t.strides = {1};
    return t;
  }

  // storage.as_strided(size, stride, offset), once every element it reaches is known to lie in the storage.
  Ptr rebuild_tensor(const std::string& fn, const std::vector<Ptr>& a) {
    if (a.size() < 4 || a[0]->kind != Obj::kTensor) fail(fn + ": unexpected arguments");
    const PthTensor& storage = *a[0]->t;
    auto view = std::make_shared<PthTensor>(storage);
    view->storage_offset = as_int(a[1], "storage offset");
    view->shape = ints(a[2], "tensor size");
    view->strides = ints(a[3], "tensor stride");
    check_view(*view);
    auto o = make(Obj::kTensor);
    o->t = std::move(view);
    return o;
  }

  void check_view(const PthTensor& v) const {
    if (v.shape.size() != v.strides.size()) fail("tensor size and stride differ in length");
    if (v.storage_offset < 0) fail("negative storage offset");
    std::int64_t last = v.storage_offset, numel = 1;  // the last element the view reaches, and its element count
    bool empty = false, overflow = false;
    for (std::size_t d = 0; d < v.shape.size(); ++d) {
      if (v.shape[d] < 0 || v.strides[d] < 0) fail("negative tensor size or stride");
      if (v.shape[d] == 0) empty = true;
      std::int64_t reach = 0;
      overflow = overflow || __builtin_mul_overflow(v.shape[d], numel, &numel);
      if (v.shape[d] > 0)
        overflow = overflow || __builtin_mul_overflow(v.shape[d] - 1, v.strides[d], &reach) ||
                   __builtin_add_overflow(last, reach, &last);
    }
    if (empty ? v.storage_offset > v.storage_elements() : overflow || last >= v.storage_elements())
      fail("tensor reaches past its storage");
  }

  Ptr ordered_dict(const std::vector<Ptr>& a) {
    auto d = make(Obj::kDict);
    if (!a.empty() && a[0]->kind == Obj::kList)
      for (auto& pair : a[0]->items)
        if (pair->kind == Obj::kTuple && pair->items.size() == 2) {
          adopt(*d, pair->items[0], "OrderedDict");
          adopt(*d, pair->items[1], "OrderedDict");
          d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
    return d;
  }

  Ptr reduce(const Obj& fn, const Obj& args) {
    if (fn.kind != Obj::kGlobal) fail("call of a " + std::string(kind_name(fn.kind)));
    if (args.kind != Obj::kTuple) fail(fn.s + " called with a " + kind_name(args.kind));
    const auto& a = args.items;
    if (fn.s == "collections.OrderedDict") return ordered_dict(a);
    if (fn.s == "torch._utils._rebuild_tensor_v2" || fn.s == "torch._utils._rebuild_tensor")
      return rebuild_tensor(fn.s, a);
    if (fn.s == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != Obj::kTensor) fail(fn.s + ": unexpected arguments");
      return a[0];
    }
    fail("unsupported object '" + fn.s + "' (only tensors, numbers, strings and containers are read)");
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  const ZipArchive& zip_;
  const std::string& source_;
  std::vector<Ptr> stack_;
  std::unordered_map<std::uint64_t, Ptr> memo_;
  std::map<std::string, Ptr> storages_;
  std::size_t objects_ = 0;
};

const Obj* dict_value(const Obj& dict, const std::string& key) {
  for (auto& [k, v] : dict.entries)
    if (k->kind == Obj::kStr && k->s == key) return v.get();
  return nullptr;
}

void check_zip_header(std::string_view bytes, const std::string& source) {
  if (bytes.substr(0, 4) == "PK\x03\x04") return;
  if (!bytes.empty() && static_cast<std::uint8_t>(bytes[0]) == 0x80)
    throw Error(source,
                "legacy (pre-1.6, non-zip) torch.save format; re-save it with a recent PyTorch: "
                "torch.save(torch.load(old), new)");
  throw Error(source, "not a file written by torch.save (no zip header)");
}

// The dict of tensors in the pickle's top object, or the one it wraps.
std::vector<PthTensor> tensors_of(const Obj& top, const std::string& source) {
  const Obj* dict = &top;
  if (dict->kind != Obj::kDict) throw Error(source, std::string("holds a ") + kind_name(dict->kind) + ", not a dict");
  for (const char* wrapper : {"state_dict", "model"})
    if (const Obj* inner = dict_value(*dict, wrapper); inner && inner->kind == Obj::kDict) {
      dict = inner;
      break;
    }
  std::vector<PthTensor> tensors;
  for (auto& [k, v] : dict->entries) {
    if (k->kind != Obj::kStr) throw Error(source, std::string("a key is a ") + kind_name(k->kind) + ", not a str");
    if (v->kind != Obj::kTensor)
      throw Error(source, "'" + k->s + "' is a " + kind_name(v->kind) + ", not a tensor (not a state_dict?)");
    tensors.push_back(*v->t);
    tensors.back().name = k->s;
  }
  return tensors;
}

}  // namespace

std::vector<PthTensor> parse_pth_state_dict(std::string_view bytes, const std::string& source) {
  check_zip_header(bytes, source);
  const ZipArchive zip(bytes, source);
  if (zip.has("byteorder") && zip.record("byteorder") != "little")
    throw Error(source, "tensors are stored big-endian; re-save the file on a little-endian machine");
  if (!zip.has("data.pkl")) throw Error(source, "no data.pkl in the archive: not a torch.save file");
  const Ptr top = Unpickler(zip.record("data.pkl"), zip, source).run();
  return tensors_of(*top, source);
}

}  // namespace mw
