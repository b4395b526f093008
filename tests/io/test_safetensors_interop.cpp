// Files written by PyTorch (tools/safetensors_fixtures.py) load in soma with identical values;
// the same tensors written by soma read back in Python (that direction runs by hand, CI has no
// torch: SOMA_INTEROP_OUT=F soma_tests --gtest_filter='SafetensorsInterop.*', then
// /usr/bin/python3 tools/safetensors_fixtures.py --check F).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/io_test_util.h"
#include "soma/io/safetensors.h"

namespace soma::io {
namespace {

const std::string kDir = std::string(SOMA_FIXTURE_DIR) + "/safetensors/";

double json_number(const nlohmann::json& v) {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
        return s == "inf" ? INFINITY : -INFINITY;
    }
    return v.get<double>();
}

// The expected tensor, built from the JSON values (which hold float32/float64 values exactly).
Tensor expected_tensor(const nlohmann::json& e) {
    Shape shape(e["shape"].get<std::vector<std::int64_t>>());
    const std::string dtype = e["dtype"];
    // from_vector treats an empty shape as "1-D", hence the reshape (scalars have shape ()).
    if (dtype == "I64")
        return from_vector(e["values"].get<std::vector<std::int64_t>>()).reshape(shape);
    std::vector<double> values;
    for (const auto& v : e["values"]) values.push_back(json_number(v));
    if (dtype == "F64") return from_vector(values, {}, kFloat64).reshape(shape);
    EXPECT_EQ(dtype, "F32");
    return from_vector(std::vector<float>(values.begin(), values.end())).reshape(shape);
}

nlohmann::json expected() {
    std::ifstream in(kDir + "torch.json");
    return nlohmann::json::parse(in);
}

TEST(SafetensorsInterop, PyTorchFileLoadsIdentically) {
    nlohmann::json want = expected();
    SafetensorsFile f = load_safetensors(kDir + "torch.safetensors");
    EXPECT_EQ(f.metadata, want["metadata"].get<Metadata>());
    ASSERT_EQ(f.tensors.size(), want["tensors"].size());
    std::size_t i = 0;
    for (const auto& e : want["tensors"]) {
        const auto& [name, t] = f.tensors.items()[i++];
        EXPECT_EQ(name, e["name"]);  // the fixture writes its data in this order
        EXPECT_TRUE(test::same_bits(t, expected_tensor(e))) << name;
    }
    // Spot checks that do not depend on the JSON decoding above.
    EXPECT_EQ(f.tensors.find("i64.extremes")->to_vector<std::int64_t>()[4], INT64_MIN);
    EXPECT_TRUE(std::signbit(f.tensors.find("f32.specials")->to_vector<float>()[1]));
    EXPECT_EQ(f.tensors.find("f32.scalar")->dim(), 0);
    EXPECT_EQ(f.tensors.find("f64.empty")->shape(), (Shape{2, 0, 3}));
}

TEST(SafetensorsInterop, SomaRewritesThePyTorchFile) {
    SafetensorsFile f = load_safetensors(kDir + "torch.safetensors");
    test::TempDir dir;
    const char* out = std::getenv("SOMA_INTEROP_OUT");
    std::string path = out ? out : dir.file("soma.safetensors");
    Metadata meta = f.metadata;
    meta["producer"] = "soma";
    save_safetensors(path, f.tensors, meta);

    SafetensorsFile back = load_safetensors(path);
    EXPECT_EQ(back.metadata, meta);
    for (const auto& [name, t] : f.tensors.items())
        EXPECT_TRUE(test::same_bits(*back.tensors.find(name), t)) << name;
    if (out) std::cout << "wrote " << path << " for tools/safetensors_fixtures.py --check\n";
}

}  // namespace
}  // namespace soma::io
