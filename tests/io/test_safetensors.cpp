// safetensors writing and reading of valid files: layout, round trips, module helpers.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "io/io_test_util.h"
#include "soma/io/checkpoint.h"
#include "soma/io/safetensors.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"

namespace soma::io {
namespace {

using test::same_bits;
using test::TempDir;

nn::StateDict mixed_dict() {
    Generator gen(7);
    nn::StateDict d;
    d.insert("w", randn({3, 4}, &gen));
    d.insert("scalar", scalar_tensor(2.5));
    d.insert("empty", zeros({2, 0, 3}));
    d.insert("transposed", randn({4, 2}, &gen).t());  // non-contiguous
    d.insert("f64", randn({5}, &gen, kFloat64));
    d.insert("idx", from_vector(std::vector<std::int64_t>{0, -1, INT64_MAX, INT64_MIN}, {2, 2}));
    float inf = std::numeric_limits<float>::infinity();
    d.insert("specials", from_vector(std::vector<float>{0.0f, -0.0f, inf, -inf, NAN, 1e-45f}));
    return d;
}

TEST(Safetensors, ExactBytesOfASmallFile) {
    nn::StateDict d;
    d.insert("a", from_vector(std::vector<float>{1.0f}));
    std::string bytes = save_safetensors_bytes(d);
    std::string json = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    json.resize(56, ' ');  // padded to a multiple of 8
    std::string want("\x38\0\0\0\0\0\0\0", 8);
    want += json;
    want += std::string("\x00\x00\x80\x3f", 4);  // 1.0f, little-endian
    EXPECT_EQ(bytes, want);
}

TEST(Safetensors, RoundTripIsBitExact) {
    nn::StateDict d = mixed_dict();
    Metadata meta = {{"epoch", "3"}, {"note", "ünïcödé"}, {"", "empty key"}};
    SafetensorsFile back = load_safetensors_bytes(save_safetensors_bytes(d, meta));
    EXPECT_EQ(back.metadata, meta);
    ASSERT_EQ(back.tensors.size(), d.size());
    for (const auto& [name, t] : d.items()) {
        const Tensor* got = back.tensors.find(name);
        ASSERT_NE(got, nullptr) << name;
        EXPECT_TRUE(same_bits(*got, t)) << name;
        EXPECT_TRUE(got->is_contiguous());
    }
}

TEST(Safetensors, LayoutIsReferenceOrderAndAligned) {
    nn::StateDict d = mixed_dict();
    std::string bytes = save_safetensors_bytes(d, {{"k", "v"}});
    std::uint64_t n;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
    EXPECT_EQ(bytes.substr(8, 29), R"({"__metadata__":{"k":"v"},"id)");
    // I64 first, then F64, then F32; by name within a dtype. Loading keeps the data order.
    std::vector<std::string> order;
    for (const auto& [name, t] : load_safetensors_bytes(bytes).tensors.items())
        order.push_back(name);
    EXPECT_EQ(order, (std::vector<std::string>{"idx", "f64", "empty", "scalar", "specials",
                                               "transposed", "w"}));
}

TEST(Safetensors, OutputIsIndependentOfInsertionOrder) {
    nn::StateDict d = mixed_dict(), r;
    for (auto it = d.items().rbegin(); it != d.items().rend(); ++it)
        r.insert(it->first, it->second);
    EXPECT_EQ(save_safetensors_bytes(d), save_safetensors_bytes(r));
}

TEST(Safetensors, FileMatchesBytesAndReadsBack) {
    TempDir dir;
    std::string path = dir.file("w.safetensors");
    nn::StateDict d = mixed_dict();
    save_safetensors(path, d, {{"a", "b"}});
    EXPECT_EQ(test::read_bytes(path), save_safetensors_bytes(d, {{"a", "b"}}));
    SafetensorsFile back = load_safetensors(path);
    EXPECT_EQ(back.metadata.at("a"), "b");
    EXPECT_TRUE(same_bits(*back.tensors.find("w"), *d.find("w")));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"w.safetensors"});
}

TEST(Safetensors, EmptyDictAndGradientsAreFine) {
    SafetensorsFile empty = load_safetensors_bytes(save_safetensors_bytes({}));
    EXPECT_EQ(empty.tensors.size(), 0u);
    EXPECT_TRUE(empty.metadata.empty());

    nn::StateDict d;
    Tensor p = ones({2});
    p.requires_grad_();
    d.insert("p", p);
    EXPECT_TRUE(same_bits(*load_safetensors_bytes(save_safetensors_bytes(d)).tensors.find("p"), p));
}

TEST(Safetensors, WriterRejectsWhatTheFormatCannotHold) {
    nn::StateDict undefined;
    undefined.insert("x", Tensor());
    EXPECT_THROW(save_safetensors_bytes(undefined), Error);
    nn::StateDict reserved;
    reserved.insert("__metadata__", ones({1}));
    EXPECT_THROW(save_safetensors_bytes(reserved), Error);
    nn::StateDict bad_utf8;
    bad_utf8.insert("\xff\xfe", ones({1}));
    EXPECT_THROW(save_safetensors_bytes(bad_utf8), Error);
}

TEST(Safetensors, MissingFileAndDirectoryAreNamed) {
    TempDir dir;
    try {
        load_safetensors(dir.file("nope.safetensors"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nope.safetensors': cannot open: No such file"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(
        {
            try {
                load_safetensors(dir.path.string());
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos);
                throw;
            }
        },
        Error);
}

TEST(Safetensors, ModuleSaveAndLoad) {
    TempDir dir;
    std::string path = dir.file("mlp.safetensors");
    Generator g1(1), g2(2);
    nn::Sequential a(
        {std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3, .out = 4, .gen = &g1}),
         std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 2, .gen = &g1})});
    nn::Sequential b(
        {std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3, .out = 4, .gen = &g2}),
         std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 2, .gen = &g2})});
    save_module(a, path, {{"arch", "3-4-2"}});
    EXPECT_EQ(load_module(b, path).at("arch"), "3-4-2");
    nn::StateDict sa = a.state_dict(), sb = b.state_dict();
    for (const auto& [name, t] : sa.items()) EXPECT_TRUE(same_bits(*sb.find(name), t)) << name;

    nn::Linear wrong({.in = 3, .out = 5});
    EXPECT_THROW(load_module(wrong, path), Error);
}

}  // namespace
}  // namespace soma::io
