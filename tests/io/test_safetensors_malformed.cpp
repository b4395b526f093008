// Every way a safetensors file can be malformed is rejected with a message naming the problem.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "io/io_test_util.h"
#include "soma/io/safetensors.h"

namespace soma::io {
namespace {

std::string le64(std::uint64_t n) { return std::string(reinterpret_cast<const char*>(&n), 8); }

// A file from a header text and data bytes; the length prefix is the header's unless given.
std::string file(const std::string& header, const std::string& data = "",
                 std::uint64_t length = UINT64_MAX) {
    return le64(length == UINT64_MAX ? header.size() : length) + header + data;
}

// One F32 entry's JSON.
std::string f32(const std::string& name, const std::string& shape, std::uint64_t begin,
                std::uint64_t end) {
    return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
}

struct Case {
    const char* name;
    std::string bytes;
    const char* message;  // a substring the error must contain
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string deep(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"ShorterThanLength", "abc", "file is 3 bytes, shorter than the 8-byte header length"},
        {"EmptyFile", "", "file is 0 bytes"},
        {"HeaderLengthPastEnd", file("{}", "", 100),
         "header length 100 exceeds the file (10 bytes"},
        {"HeaderLengthAbsurd", file("{}", "", 1ull << 40), "header length 1099511627776 is absurd"},
        {"ZeroLengthHeader", file(""), "invalid JSON header"},
        {"InvalidJson", file("{\"a\": "), "invalid JSON header: parse error at line 1, column 7"},
        {"TrailingGarbageInHeader", file("{} x"), "invalid JSON header"},
        {"HeaderNotObject", file("[1, 2]"), "header must be a JSON object, got [1,2]"},
        {"EntryNotObject", file("{\"a\": 5}"), "tensor 'a': entry must be an object, got 5"},
        {"MissingField", file(R"({"a":{"dtype":"F32","shape":[1]}})", "abcd"),
         "tensor 'a': missing field 'data_offsets'"},
        {"ExtraField",
         file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"stride":[1]}})", "abcd"),
         "tensor 'a': unexpected field 'stride'"},
        {"DtypeNotString", file(R"({"a":{"dtype":32,"shape":[],"data_offsets":[0,4]}})", "abcd"),
         "tensor 'a': dtype must be a string, got 32"},
        {"UnknownDtype", file(R"({"a":{"dtype":"F31","shape":[],"data_offsets":[0,4]}})", "abcd"),
         "tensor 'a': unknown dtype \"F31\""},
        {"UnsupportedBF16",
         file(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", "abcd"),
         "tensor 'a': unsupported dtype 'BF16' (soma reads F32, F64 and I64)"},
        {"UnsupportedI32", file(R"({"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]}})", "abcd"),
         "unsupported dtype 'I32'"},
        {"ShapeNotList", file("{" + f32("a", "4", 0, 4) + "}", "abcd"),
         "tensor 'a': shape must be a list of non-negative integers, got 4"},
        {"ShapeNegative", file("{" + f32("a", "[-1]", 0, 4) + "}", "abcd"),
         "shape must be a list of non-negative integers, got [-1]"},
        {"ShapeFloat", file("{" + f32("a", "[1.0]", 0, 4) + "}", "abcd"),
         "shape must be a list of non-negative integers, got [1.0]"},
        {"ShapeTooManyDims", file("{" + f32("a", "[1,1,1,1,1,1,1,1,1]", 0, 4) + "}", "abcd"),
         "shape has 9 dimensions, soma supports at most 8"},
        {"ShapeDimBeyondInt64", file("{" + f32("a", "[18446744073709551615]", 0, 4) + "}", "abcd"),
         "has a dimension too large"},
        {"ShapeProductOverflows",
         file("{" + f32("a", "[4611686018427387904,4]", 0, 4) + "}", "abcd"),
         "shape (4611686018427387904, 4) is too large (its size overflows)"},
        {"OffsetsNotTwo", file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0]}})", "abcd"),
         "tensor 'a': data_offsets must be two non-negative integers, got [0]"},
        {"OffsetsNegative",
         file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}})", "abcd"),
         "data_offsets must be two non-negative integers"},
        {"OffsetsBeyondUint64",
         file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,1e30]}})", "abcd"),
         "data_offsets must be two non-negative integers"},
        {"OffsetsReversed", file("{" + f32("a", "[1]", 4, 0) + "}", "abcd"),
         "tensor 'a': data_offsets [4,0] begin after they end"},
        {"OffsetsPastEnd", file("{" + f32("a", "[2]", 0, 8) + "}", "abcd"),
         "tensor 'a': data_offsets [0,8] run past the end of the data (4 bytes)"},
        {"OffsetsNearUint64Max",
         file("{" + f32("a", "[]", 18446744073709551612ull, 18446744073709551615ull) + "}", "abcd"),
         "run past the end of the data"},
        {"SizeMismatch", file("{" + f32("a", "[2]", 0, 4) + "}", "abcd"),
         "tensor 'a': data_offsets [0,4] hold 4 bytes, but shape (2,) of F32 needs 8"},
        {"Overlap",
         file("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "}",
              std::string(12, 'x')),
         "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
        {"Identical", file("{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[1]", 0, 4) + "}", "abcd"),
         "tensors 'a' [0, 4] and 'b' [0, 4] overlap"},
        {"EmptyInsideAnother",
         file("{" + f32("a", "[2]", 0, 8) + "," + f32("e", "[0]", 4, 4) + "}", std::string(8, 'x')),
         "tensors 'a' [0, 8] and 'e' [4, 4] overlap"},
        {"GapBetween",
         file("{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[1]", 8, 12) + "}",
              std::string(12, 'x')),
         "gap in the data: bytes [4, 8) before tensor 'b' belong to no tensor"},
        {"GapAtStart", file("{" + f32("a", "[1]", 4, 8) + "}", std::string(8, 'x')),
         "gap in the data: bytes [0, 4) before tensor 'a'"},
        {"TrailingBytes", file("{" + f32("a", "[1]", 0, 4) + "}", std::string(6, 'x')),
         "2 trailing bytes after the last tensor (the data is 6 bytes, the tensors cover 4)"},
        {"DataWithoutTensors", file("{}", "x"), "1 trailing bytes"},
        {"DuplicateName",
         file("{" + f32("a", "[1]", 0, 4) + "," + f32("a", "[1]", 4, 8) + "}", std::string(8, 'x')),
         "duplicate tensor name 'a'"},
        {"DuplicateField",
         file(R"({"a":{"dtype":"F32","dtype":"F64","shape":[],"data_offsets":[0,4]}})", "abcd"),
         "duplicate key 'dtype' in the header"},
        {"DuplicateMetadataKey", file(R"({"__metadata__":{"k":"1","k":"2"}})"),
         "duplicate key 'k' in the header"},
        {"MetadataNotObject", file(R"({"__metadata__":["k"]})"),
         "__metadata__ must be an object, got [\"k\"]"},
        {"MetadataValueNotString", file(R"({"__metadata__":{"epoch":3}})"),
         "__metadata__ must map strings to strings, but 'epoch' is 3"},
        {"NestingTooDeep", file("{\"a\":" + deep(100) + "}"), "header nests deeper than 16 levels"},
        // Padding is spaces only; the JSON parser would stop at a NUL and ignore what follows.
        {"NulPadded", file(std::string("{}\0\0\0\0\0\0", 8)),
         "NUL byte at offset 10 in the header (the JSON header may be padded only with spaces)"},
        {"NulThenGarbage", file(std::string("{}  \0garbage", 12)), "NUL byte at offset 12"},
        {"NulInsideJson", file(std::string("{\0}", 3)), "NUL byte at offset 9"},
        {"NewlinePadded", file("{}\n  "),
         "byte 0x0A at offset 10 after the JSON header (it may be padded only with spaces)"},
        {"TabPadded", file("{}\t"), "byte 0x09 at offset 10"},
    };
    return all;
}

class Malformed : public ::testing::TestWithParam<Case> {};

TEST_P(Malformed, IsRejectedWithTheRightMessage) {
    const Case& c = GetParam();
    try {
        load_safetensors_bytes(c.bytes, "case.safetensors");
        FAIL() << "accepted";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.rfind("load_safetensors: 'case.safetensors': ", 0), 0u) << msg;
        EXPECT_NE(msg.find(c.message), std::string::npos) << "message: " << msg;
    }
}

INSTANTIATE_TEST_SUITE_P(Safetensors, Malformed, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SafetensorsMalformed, FileErrorsNameThePath) {
    test::TempDir dir;
    std::string path = dir.file("bad.safetensors");
    test::write_bytes(path, file("{" + f32("a", "[2]", 0, 4) + "}", "abcd"));
    try {
        load_safetensors(path);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(
            std::string(e.what()),
            "load_safetensors: '" + path +
                "': tensor 'a': data_offsets [0,4] hold 4 bytes, but shape (2,) of F32 needs 8");
    }
}

// Valid but unusual files the reader must accept.
TEST(SafetensorsMalformed, UnusualButValidFilesLoad) {
    // Padding spaces, metadata last, empty tensors anywhere at a boundary, zero tensors.
    std::string header = "{" + f32("e0", "[0]", 0, 0) + "," + f32("b", "[1]", 4, 8) + "," +
                         f32("e1", "[3,0]", 4, 4) + "," + f32("a", "[]", 0, 4) +
                         R"(,"__metadata__":{}})" + "      ";
    SafetensorsFile f = load_safetensors_bytes(file(header, std::string(8, '\0')));
    std::vector<std::string> order;
    for (const auto& [name, t] : f.tensors.items()) order.push_back(name);
    EXPECT_EQ(order, (std::vector<std::string>{"e0", "a", "e1", "b"}));  // by offset, then header
    EXPECT_EQ(f.tensors.find("e1")->shape(), (Shape{3, 0}));
    EXPECT_EQ(f.tensors.find("a")->dim(), 0);
    EXPECT_EQ(load_safetensors_bytes(file("{}")).tensors.size(), 0u);
}

// A 64-byte file may declare an empty tensor whose other dimensions are huge; it is valid, and
// its strides must not overflow (they used to, and the release build accepted the garbage).
TEST(SafetensorsMalformed, EmptyTensorWithHugeDimensionsLoads) {
    const std::string bytes = file("{" + f32("e", "[0,4294967296,4294967296]", 0, 0) + "}");
    SafetensorsFile f = load_safetensors_bytes(bytes);
    const Tensor& e = *f.tensors.find("e");
    EXPECT_EQ(e.shape(), (Shape{0, std::int64_t{1} << 32, std::int64_t{1} << 32}));
    EXPECT_EQ(e.numel(), 0);
    EXPECT_TRUE(e.is_contiguous());
}

// The header decides how much work the reader does; it must stay linear in the file's size.
// 400,000 empty tensors used to take > 20 s (quadratic key lookups while parsing and while
// building the StateDict); now about a second. No timing assertion: completing is the test.
TEST(SafetensorsMalformed, ManyEmptyTensorsLoadInLinearTime) {
    constexpr int kTensors = 400000;
    std::string header = "{";
    for (int i = 0; i < kTensors; ++i)
        header += (i ? "," : "") + f32("t" + std::to_string(i), "[0]", 0, 0);
    header += "}";
    SafetensorsFile f = load_safetensors_bytes(file(header));
    ASSERT_EQ(f.tensors.size(), static_cast<std::size_t>(kTensors));
    // Ties at offset 0 keep the header's order.
    EXPECT_EQ(f.tensors.items()[0].first, "t0");
    EXPECT_EQ(f.tensors.items()[kTensors - 1].first, "t" + std::to_string(kTensors - 1));
    EXPECT_NE(f.tensors.find("t123456"), nullptr);
}

// Random damage to a valid file (flipped bytes, truncation) must end in a clean soma::Error
// or a successful load, never in a crash or another exception type.
TEST(SafetensorsMalformed, RandomCorruptionIsHandled) {
    nn::StateDict d;
    d.insert("w", arange(12.0).reshape({3, 4}));
    d.insert("i", arange(3.0, kInt64));
    d.insert("s", scalar_tensor(1.5, kFloat64));
    const std::string good = save_safetensors_bytes(d, {{"k", "v"}});
    Generator gen(2024);
    int rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::string bytes = good;
        int flips = 1 + static_cast<int>(gen.randint(0, 4));
        for (int f = 0; f < flips; ++f) {
            auto at =
                static_cast<std::size_t>(gen.randint(0, static_cast<std::int64_t>(bytes.size())));
            bytes[at] = static_cast<char>(gen.randint(0, 256));
        }
        if (trial % 5 == 0) bytes.resize(static_cast<std::size_t>(gen.randint(0, bytes.size())));
        try {
            load_safetensors_bytes(bytes);
        } catch (const Error&) {
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace soma::io
