#include "model/torch_checkpoint.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/paths.h"
#include "maskwatch.h"

namespace mw {

namespace {

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
  torch::Tensor t;                           // tensor, or a storage as a 1-D tensor
  int depth = 1;                             // 1 + the deepest item's depth; 1 for no items
  bool nested = false;                       // inside a container: then final, so no container can reach itself
};

// Limits for hostile files: far beyond any state_dict, small enough that
// nothing exhausts the stack (objects are freed recursively) or memory.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxObjects = 1000000;  // objects, stack entries and memo entries, each

const char* kind_name(Obj::Kind k) {
  static const char* names[] = {"None", "bool", "int",    "float",  "str", "tuple",
                                "list", "dict", "global", "tensor", "mark"};
  return names[k];
}

std::optional<torch::ScalarType> storage_dtype(const std::string& type) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat}, {"torch.DoubleStorage", torch::kDouble},
      {"torch.HalfStorage", torch::kHalf},   {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kLong},   {"torch.IntStorage", torch::kInt},
      {"torch.ShortStorage", torch::kShort}, {"torch.CharStorage", torch::kChar},
      {"torch.ByteStorage", torch::kByte},   {"torch.BoolStorage", torch::kBool}};
  auto it = types.find(type);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

using StorageLoader = std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype)>;

class Unpickler {
 public:
  Unpickler(const std::string& pkl, StorageLoader load, std::string source)
      : p_(pkl), load_(std::move(load)), source_(std::move(source)) {}

  Ptr run() {
    for (;;) {
      const std::uint8_t op = u8();
      switch (op) {
        case 0x80:
          u8();
          break;  // PROTO
        case 0x95:
          bytes(8);
          break;  // FRAME
        case '.':
          return pop();  // STOP
        case '(':
          push(make(Obj::kMark));
          break;
        case 'N':
          push(make(Obj::kNone));
          break;
        case 0x88:    // NEWTRUE
        case 0x89: {  // NEWFALSE
          auto o = make(Obj::kBool);
          o->i = op == 0x88;
          push(o);
          break;
        }
        case 'J':
          push(make_int(static_cast<std::int32_t>(le(4))));
          break;  // BININT
        case 'K':
          push(make_int(static_cast<std::int64_t>(le(1))));
          break;  // BININT1
        case 'M':
          push(make_int(static_cast<std::int64_t>(le(2))));
          break;  // BININT2
        case 0x8a:
          push(make_int(long1(u8())));
          break;     // LONG1
        case 'G': {  // BINFLOAT, big-endian
          std::uint64_t bits = 0;
          for (char c : bytes(8)) bits = (bits << 8) | static_cast<std::uint8_t>(c);
          auto o = make(Obj::kFloat);
          std::memcpy(&o->f, &bits, sizeof bits);
          push(o);
          break;
        }
        case 'X':
          push(make_str(bytes(le(4))));
          break;  // BINUNICODE
        case 0x8c:
          push(make_str(bytes(u8())));
          break;  // SHORT_BINUNICODE
        case 0x8d:
          push(make_str(bytes(le(8))));
          break;  // BINUNICODE8
        case 'T':
          push(make_str(bytes(le(4))));
          break;  // BINSTRING
        case 'U':
          push(make_str(bytes(u8())));
          break;  // SHORT_BINSTRING
        case 'B':
          push(make_str(bytes(le(4))));
          break;  // BINBYTES
        case 'C':
          push(make_str(bytes(u8())));
          break;  // SHORT_BINBYTES
        case ')':
          push(make(Obj::kTuple));
          break;  // EMPTY_TUPLE
        case ']':
          push(make(Obj::kList));
          break;  // EMPTY_LIST
        case '}':
          push(make(Obj::kDict));
          break;  // EMPTY_DICT
        case 't':
          push(tuple(pop_mark()));
          break;  // TUPLE
        case 0x85:
          push(tuple(pop_n(1)));
          break;  // TUPLE1
        case 0x86:
          push(tuple(pop_n(2)));
          break;  // TUPLE2
        case 0x87:
          push(tuple(pop_n(3)));
          break;     // TUPLE3
        case 'l': {  // LIST
          auto o = make(Obj::kList);
          o->items = pop_mark();
          for (auto& item : o->items) adopt(*o, item, "LIST");
          push(o);
          break;
        }
        case 'd': {  // DICT
          auto o = make(Obj::kDict);
          set_items(*o, pop_mark(), "DICT");
          push(o);
          break;
        }
        case 'a': {  // APPEND
          auto v = pop();
          auto list = expect(top(), Obj::kList, "APPEND");
          adopt(*list, v, "APPEND");
          list->items.push_back(v);
          break;
        }
        case 'e': {  // APPENDS
          auto vs = pop_mark();
          auto list = expect(top(), Obj::kList, "APPENDS");
          for (auto& v : vs) adopt(*list, v, "APPENDS");
          list->items.insert(list->items.end(), vs.begin(), vs.end());
          break;
        }
        case 's': {  // SETITEM
          auto v = pop();
          auto k = pop();
          set_items(*expect(top(), Obj::kDict, "SETITEM"), {k, v}, "SETITEM");
          break;
        }
        case 'u': {  // SETITEMS
          auto kv = pop_mark();
          set_items(*expect(top(), Obj::kDict, "SETITEMS"), kv, "SETITEMS");
          break;
        }
        case 'c': {  // GLOBAL
          auto module = line();
          push(make_str(module + "." + line(), Obj::kGlobal));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop();
          auto module = pop();
          push(make_str(module->s + "." + name->s, Obj::kGlobal));
          break;
        }
        case 'q':
          remember(le(1), top());
          break;  // BINPUT
        case 'r':
          remember(le(4), top());
          break;  // LONG_BINPUT
        case 0x94:
          remember(memo_.size(), top());
          break;  // MEMOIZE
        case 'h':
          push(memo(le(1)));
          break;  // BINGET
        case 'j':
          push(memo(le(4)));
          break;  // LONG_BINGET
        case 'Q':
          push(persistent(pop()));
          break;      // BINPERSID
        case 'R':     // REDUCE
        case 0x81: {  // NEWOBJ
          auto args = pop();
          auto fn = pop();
          push(reduce(*fn, *args));
          break;
        }
        case 'b':
          pop();
          break;  // BUILD: an OrderedDict's _metadata, a tensor's state; not needed
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;  // POP_MARK
        case '2':
          push(top());
          break;  // DUP
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("unsupported pickle opcode ") + hex + " at byte " + std::to_string(pos_ - 1));
        }
      }
    }
  }

 private:
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
    auto s = p_.substr(pos_, n);
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
    if (end == std::string::npos) fail("ends early");
    auto s = p_.substr(pos_, end - pos_);
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
    std::vector<std::int64_t> v;
    for (auto& x : o->items) v.push_back(as_int(x, what));
    return v;
  }

  // ('storage', torch.FloatStorage, key, location, numel) -> the storage as a 1-D tensor.
  Ptr persistent(const Ptr& pid) {
    if (pid->kind != Obj::kTuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != Obj::kGlobal || pid->items[2]->kind != Obj::kStr)
      fail("unsupported persistent id (not a tensor storage)");
    const std::string& key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      auto dtype = storage_dtype(pid->items[1]->s);
      if (!dtype) fail("unsupported storage type '" + pid->items[1]->s + "'");
      auto t = load_(key, *dtype);
      if (t.numel() != as_int(pid->items[4], "storage size"))
        fail("storage " + key + " holds " + std::to_string(t.numel()) + " elements, expected " +
             std::to_string(pid->items[4]->i));
      auto o = make(Obj::kTensor);
      o->t = t;
      it = storages_.emplace(key, o).first;
    }
    return it->second;
  }

  Ptr reduce(const Obj& fn, const Obj& args) {
    if (fn.kind != Obj::kGlobal) fail("call of a " + std::string(kind_name(fn.kind)));
    if (args.kind != Obj::kTuple) fail(fn.s + " called with a " + kind_name(args.kind));
    const auto& a = args.items;
    if (fn.s == "collections.OrderedDict") {
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
    if (fn.s == "torch._utils._rebuild_tensor_v2" || fn.s == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != Obj::kTensor) fail(fn.s + ": unexpected arguments");
      const auto& storage = a[0]->t;
      auto offset = as_int(a[1], "storage offset");
      auto size = ints(a[2], "tensor size"), stride = ints(a[3], "tensor stride");
      if (size.size() != stride.size()) fail("tensor size and stride differ in length");
      if (offset < 0) fail("negative storage offset");
      std::int64_t last = offset, numel = 1;  // the last element the view reaches, and its element count
      bool empty = false, overflow = false;
      for (std::size_t d = 0; d < size.size(); ++d) {
        if (size[d] < 0 || stride[d] < 0) fail("negative tensor size or stride");
        if (size[d] == 0) empty = true;
        std::int64_t reach = 0;
        overflow = overflow || __builtin_mul_overflow(size[d], numel, &numel);
        if (size[d] > 0)
          overflow = overflow || __builtin_mul_overflow(size[d] - 1, stride[d], &reach) ||
                     __builtin_add_overflow(last, reach, &last);
      }
      if (!empty && (overflow || last >= storage.numel())) fail("tensor reaches past its storage");
      auto o = make(Obj::kTensor);
      o->t = storage.as_strided(size, stride, offset);
      return o;
    }
    if (fn.s == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != Obj::kTensor) fail(fn.s + ": unexpected arguments");
      return a[0];
    }
    fail("unsupported object '" + fn.s + "' (only tensors, numbers, strings and containers are read)");
  }

  const std::string& p_;
  std::size_t pos_ = 0;
  StorageLoader load_;
  std::string source_;
  std::vector<Ptr> stack_;
  std::unordered_map<std::uint64_t, Ptr> memo_;
  std::map<std::string, Ptr> storages_;
  std::size_t objects_ = 0;
};

// ---- the zip container --------------------------------------------------------

std::uint64_t read_le(const std::string& b, std::uint64_t at, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= std::uint64_t(static_cast<std::uint8_t>(b[at + k])) << (8 * k);
  return v;
}

// torch.save stores records uncompressed, so none is larger than the file. The
// reader allocates a record's size as the central directory gives it before
// reading a byte, so the directory is checked here first, found the way miniz
// finds it: the last end-of-central-directory record in the final 64 KiB, and
// the zip64 one when a locator precedes it.
void check_record_sizes(const std::string& b, const std::string& source) {
  const std::uint64_t size = b.size();
  auto bad = [&](const std::string& why) { return Error(source, "damaged zip archive: " + why); };
  constexpr std::uint64_t kEocd = 22, kLocator = 20, kEocd64 = 56, kEntry = 46;
  if (size < kEocd) throw bad("too short");
  std::uint64_t eocd = size - kEocd + 1;
  for (std::uint64_t at = size - kEocd + 1; at-- > 0 && size - at <= 0xffff + kEocd;)
    if (read_le(b, at, 4) == 0x06054b50) {
      eocd = at;
      break;
    }
  if (eocd > size - kEocd) throw bad("no end of central directory (cut short?)");
  std::uint64_t entries = read_le(b, eocd + 10, 2), cdir_size = read_le(b, eocd + 12, 4),
                cdir = read_le(b, eocd + 16, 4);
  if (eocd >= kLocator && read_le(b, eocd - kLocator, 4) == 0x07064b50) {
    std::uint64_t at = read_le(b, eocd - kLocator + 8, 8);
    auto valid = [&](std::uint64_t ofs) {
      return size >= kEocd64 && ofs <= size - kEocd64 && read_le(b, ofs, 4) == 0x06064b50;
    };
    if (!valid(at)) at = eocd >= kLocator + kEocd64 ? eocd - kLocator - kEocd64 : size;
    if (!valid(at)) throw bad("no zip64 end of central directory");
    entries = read_le(b, at + 32, 8), cdir_size = read_le(b, at + 40, 8), cdir = read_le(b, at + 48, 8);
  }
  if (cdir > size || cdir_size > size - cdir) throw bad("the central directory lies outside the file");
  const std::uint64_t end = cdir + cdir_size;
  std::uint64_t at = cdir;
  for (std::uint64_t k = 0; k < entries; ++k) {
    if (kEntry > end - at || read_le(b, at, 4) != 0x02014b50) throw bad("central directory entry " + std::to_string(k));
    std::uint64_t comp = read_le(b, at + 20, 4), uncomp = read_le(b, at + 24, 4), local = read_le(b, at + 42, 4);
    const std::uint64_t name_len = read_le(b, at + 28, 2), extra_len = read_le(b, at + 30, 2),
                        comment_len = read_le(b, at + 32, 2);
    if (name_len + extra_len + comment_len > end - at - kEntry)
      throw bad("central directory entry " + std::to_string(k));
    const std::string name = b.substr(at + kEntry, name_len);
    // The zip64 extra field holds, in this order, whichever of these the entry marks 0xffffffff.
    for (std::uint64_t x = at + kEntry + name_len, x_end = x + extra_len; x + 4 <= x_end;) {
      const std::uint64_t id = read_le(b, x, 2), len = read_le(b, x + 2, 2);
      if (len > x_end - x - 4) break;
      if (id == 0x0001) {
        std::uint64_t f = x + 4;
        for (std::uint64_t* field : {&uncomp, &comp, &local})
          if (*field == 0xffffffff && f + 8 <= x + 4 + len) {
            *field = read_le(b, f, 8);
            f += 8;
          }
      }
      x += 4 + len;
    }
    if (uncomp > size || comp > size)
      throw Error(source, "zip record '" + name + "' claims " + std::to_string(std::max(uncomp, comp)) +
                              " bytes, more than the whole file (" + std::to_string(size) + " bytes)");
    at += kEntry + name_len + extra_len + comment_len;
  }
}

std::string record(caffe2::serialize::PyTorchStreamReader& zip, const std::string& name) {
  auto [data, size] = zip.getRecord(name);
  return std::string(static_cast<const char*>(data.get()), size);
}

const Obj* dict_value(const Obj& dict, const std::string& key) {
  for (auto& [k, v] : dict.entries)
    if (k->kind == Obj::kStr && k->s == key) return v.get();
  return nullptr;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

// "2 missing keys: a, b" with the first few names.
std::string listing(const std::vector<std::string>& names, const std::string& one, const std::string& many) {
  constexpr std::size_t kShown = 5;
  std::string s = std::to_string(names.size()) + " " + (names.size() == 1 ? one : many) + ": ";
  for (std::size_t k = 0; k < names.size() && k < kShown; ++k) s += (k ? ", " : "") + names[k];
  if (names.size() > kShown) s += ", ... (" + std::to_string(names.size() - kShown) + " more)";
  return s;
}

}  // namespace

StateDict parse_torch_state_dict(const std::string& bytes, const std::string& source) {
  if (bytes.compare(0, 4, "PK\x03\x04") != 0) {
    if (!bytes.empty() && static_cast<std::uint8_t>(bytes[0]) == 0x80)
      throw Error(source,
                  "legacy (pre-1.6, non-zip) torch.save format; re-save it with a recent PyTorch: "
                  "torch.save(torch.load(old), new)");
    throw Error(source, "not a file written by torch.save (no zip header)");
  }
  check_record_sizes(bytes, source);
  Ptr top;
  try {
    caffe2::serialize::PyTorchStreamReader zip(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), static_cast<off_t>(bytes.size())));
    if (zip.hasRecord("byteorder") && record(zip, "byteorder") != "little")
      throw Error(source, "tensors are stored big-endian; re-save the file on a little-endian machine");
    if (!zip.hasRecord("data.pkl")) throw Error(source, "no data.pkl in the archive: not a torch.save file");
    auto load = [&zip, &source](const std::string& key, torch::ScalarType dtype) {
      const std::string name = "data/" + key;
      if (!zip.hasRecord(name)) throw Error(source, "storage " + name + " is missing from the archive");
      auto [data, size] = zip.getRecord(name);
      const auto elem = static_cast<std::size_t>(c10::elementSize(dtype));
      if (size % elem) throw Error(source, "storage " + name + " is not a whole number of elements");
      auto t = torch::empty({static_cast<std::int64_t>(size / elem)}, torch::dtype(dtype));
      if (size) std::memcpy(t.data_ptr(), data.get(), size);
      return t;
    };
    const std::string pkl = record(zip, "data.pkl");
    top = Unpickler(pkl, load, source).run();
  } catch (const c10::Error& e) {
    throw Error(source, std::string("cannot read the archive: ") + e.what_without_backtrace());
  }

  const Obj* dict = top.get();
  if (dict->kind != Obj::kDict) throw Error(source, std::string("holds a ") + kind_name(dict->kind) + ", not a dict");
  for (const char* wrapper : {"state_dict", "model"})
    if (const Obj* inner = dict_value(*dict, wrapper); inner && inner->kind == Obj::kDict) {
      dict = inner;
      break;
    }
  StateDict state;
  for (auto& [k, v] : dict->entries) {
    if (k->kind != Obj::kStr) throw Error(source, std::string("a key is a ") + kind_name(k->kind) + ", not a str");
    if (v->kind != Obj::kTensor)
      throw Error(source, "'" + k->s + "' is a " + kind_name(v->kind) + ", not a tensor (not a state_dict?)");
    state[k->s] = v->t;
  }
  return state;
}

StateDict read_torch_state_dict(const std::string& path) { return parse_torch_state_dict(read_file(path), path); }

std::vector<std::string> load_torchvision_state(ResNetImpl& net, const StateDict& state, const std::string& source) {
  if (net.folded) throw Error(source, "cannot load into a network with folded BatchNorm");
  std::vector<std::pair<std::string, torch::Tensor>> targets;  // in the network's order
  for (auto& p : net.named_parameters()) targets.emplace_back(p.key(), p.value());
  for (auto& b : net.named_buffers()) targets.emplace_back(b.key(), b.value());
  std::set<std::string> names;
  for (auto& [k, t] : targets) names.insert(k);
  auto is_counter = [](const std::string& k) { return ends_with(k, "num_batches_tracked"); };

  // The classifier is skipped as a pair when only the class count differs.
  std::vector<std::string> skipped;
  auto w = state.find("fc.weight"), b = state.find("fc.bias");
  if (w != state.end() && b != state.end() && w->second.dim() == 2 && b->second.dim() == 1 &&
      w->second.size(1) == net.fc->weight.size(1) && b->second.size(0) == w->second.size(0) &&
      w->second.size(0) != net.fc->weight.size(0))
    skipped = {"fc.weight", "fc.bias"};
  auto is_skipped = [&](const std::string& k) { return std::find(skipped.begin(), skipped.end(), k) != skipped.end(); };

  std::vector<std::string> missing, unexpected, mismatched;
  for (auto& [k, t] : targets) {
    if (is_skipped(k)) continue;
    auto it = state.find(k);
    if (it == state.end()) {
      if (!is_counter(k)) missing.push_back(k);
    } else if (it->second.sizes() != t.sizes()) {
      mismatched.push_back(k + " " + shape_of(it->second) + " in the file, " + shape_of(t) + " here");
    }
  }
  for (auto& [k, t] : state)
    if (!names.count(k) && !is_counter(k)) unexpected.push_back(k);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string why = "does not fit " + net.arch + " with " + std::to_string(net.fc->weight.size(0)) + " classes";
    if (!missing.empty()) why += "; " + listing(missing, "missing key", "missing keys");
    if (!unexpected.empty()) why += "; " + listing(unexpected, "unexpected key", "unexpected keys");
    if (!mismatched.empty()) why += "; " + listing(mismatched, "shape mismatch", "shape mismatches");
    throw Error(source, why);
  }

  torch::NoGradGuard no_grad;
  for (auto& [k, t] : targets) {
    auto it = state.find(k);
    if (it != state.end() && !is_skipped(k)) t.copy_(it->second);
  }
  return skipped;
}

}  // namespace mw
