// The regressor and classifier recipes: layer structure for each option, shapes, losses,
// learning a small problem with Adam, and the tabular model's file round trip.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "soma/data/table.h"
#include "soma/error.h"
#include "soma/models/recipe.h"
#include "soma/models/tabular.h"
#include "soma/nn/container.h"
#include "soma/nn/residual.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"

namespace soma::models {
namespace {

std::vector<std::string> param_names(nn::Module& m) {
    std::vector<std::string> names;
    for (auto& [name, t] : m.named_parameters()) names.push_back(name);
    return names;
}

TEST(Recipe, PlainStack) {
    Generator gen(1);
    Regressor reg({.in = 3, .hidden = {8, 4}, .out = 2, .gen = &gen});
    EXPECT_EQ(param_names(reg),
              (std::vector<std::string>{"layers.1.0.weight", "layers.1.0.bias", "layers.2.0.weight",
                                        "layers.2.0.bias", "layers.3.weight", "layers.3.bias"}));
    EXPECT_EQ(reg.num_parameters(), 3 * 8 + 8 + 8 * 4 + 4 + 4 * 2 + 2);
    Tensor y = reg(randn({5, 3}, &gen));
    EXPECT_EQ(y.shape(), (Shape{5, 2}));
    // Input to vector: (N, 1, 3) flattens to (N, 3).
    EXPECT_EQ(reg(randn({5, 1, 3}, &gen)).shape(), (Shape{5, 2}));
    // No hidden layer: one Linear.
    Regressor linear({.in = 3, .hidden = {}, .out = 1});
    EXPECT_EQ(linear.num_parameters(), 4);
}

TEST(Recipe, BatchNormDropoutAndResidual) {
    Classifier cls({.in = 3,
                    .hidden = {8, 8},
                    .out = 4,
                    .dropout = 0.2,
                    .batch_norm = true,
                    .residual = true});
    // Block 1 (3 -> 8) projects its shortcut, block 2 (8 -> 8) adds x itself.
    EXPECT_EQ(param_names(cls),
              (std::vector<std::string>{"layers.1.fn.0.weight", "layers.1.fn.0.bias",
                                        "layers.1.fn.1.weight", "layers.1.fn.1.bias",
                                        "layers.1.projection.weight", "layers.2.fn.0.weight",
                                        "layers.2.fn.0.bias", "layers.2.fn.1.weight",
                                        "layers.2.fn.1.bias", "layers.3.weight", "layers.3.bias"}));
    EXPECT_EQ(cls.named_buffers().size(), 6u);  // running mean, var, count per BatchNorm1d
    auto& block = cls.layers->at<nn::Residual>(2);
    auto& fn = dynamic_cast<nn::Sequential&>(*block.fn);
    EXPECT_EQ(fn[1].type_name(), "BatchNorm1d");
    EXPECT_EQ(fn[2].type_name(), "ReLU");
    EXPECT_EQ(fn[3].type_name(), "Dropout");
    EXPECT_EQ(block.projection, nullptr);

    Tensor x = randn({6, 3});
    cls.eval();
    Tensor p = cls.predict_proba(x);
    EXPECT_EQ(p.shape(), (Shape{6, 4}));
    for (float s : sum(p, {1}).to_vector<float>()) EXPECT_NEAR(s, 1, 1e-5);
    EXPECT_EQ(cls.predict(x).dtype(), kInt64);
    EXPECT_EQ(cls.predict(x).to_vector<std::int64_t>(), argmax(p, 1).to_vector<std::int64_t>());
}

TEST(Recipe, RejectsBadOptions) {
    EXPECT_THROW(Regressor({.in = 0}), Error);
    EXPECT_THROW(Regressor({.in = 2, .hidden = {0}}), Error);
    EXPECT_THROW(Regressor({.in = 2, .dropout = 1}), Error);
    EXPECT_THROW(Classifier({.in = 2, .out = 1}), Error);
}

// y = tanh(2 x0) + x1^2 on 256 points: the regressor's RMSE falls well below the targets' std,
// and the classifier separates the sign of x0 * x1 (XOR-like, not linearly separable).
TEST(Recipe, LearnsWithAdam) {
    manual_seed(3);
    Generator gen(3);
    Tensor x = randn({256, 2}, &gen);
    Tensor x0 = x.select(1, 0), x1 = x.select(1, 1);
    Tensor y = (tanh(2 * x0) + x1 * x1).reshape({256, 1});
    Regressor reg({.in = 2, .hidden = {32, 32}, .out = 1, .gen = &gen});
    optim::Adam opt(reg.parameters(), {.lr = 1e-2, .weight_decay = 1e-5});
    for (int step = 0; step < 300; ++step) {
        opt.zero_grad();
        Regressor::loss(reg(x), y).backward();
        opt.step();
    }
    const double spread = std::sqrt(mean((y - mean(y)) * (y - mean(y))).item());
    EXPECT_LT(rmse(reg(x), y), 0.2 * spread);

    Tensor labels = gt(x0 * x1, 0.0).to(kInt64);
    Classifier cls({.in = 2, .hidden = {32, 32}, .out = 2, .residual = true, .gen = &gen});
    optim::Adam copt(cls.parameters(), {.lr = 1e-2});
    for (int step = 0; step < 300; ++step) {
        copt.zero_grad();
        Classifier::loss(cls(x), labels).backward();
        copt.step();
    }
    EXPECT_GE(accuracy(cls.predict(x), labels), 0.95);
}

TEST(Tabular, SavesAndLoadsWithItsPreprocessing) {
    test::TempDir dir;
    data::TextTable t =
        data::parse_table("size,color,kind\n1,red,a\n2,blue,b\n3,red,a\n,green,b\n", "t.csv");
    data::TableEncoding enc = data::fit_encoding(t, {0, 1, 2, 3}, {.target = "kind"});
    TabularModel m = TabularModel::create(enc, {.hidden = {5}, .batch_norm = true});
    EXPECT_EQ(m.options.in, 5);  // size, size:missing, 3 colors
    EXPECT_EQ(m.options.out, 2);
    save_tabular(m, dir.file("m.safetensors"));
    TabularModel back = load_tabular(dir.file("m.safetensors"));
    EXPECT_EQ(back.encoding, enc);
    EXPECT_EQ(back.options.hidden, (std::vector<std::int64_t>{5}));
    EXPECT_TRUE(back.options.batch_norm);
    TabularPredictions p = m.predict(t), q = back.predict(t);
    EXPECT_EQ(p.labels, q.labels);
    EXPECT_EQ(p.probabilities.to_vector<float>(), q.probabilities.to_vector<float>());
    ASSERT_TRUE(p.metric.has_value());
    EXPECT_EQ(p.metric_name, "accuracy");
    // Without the target column: predictions, no metric.
    TabularPredictions r = back.predict(data::parse_table("color,size\nred,2\npurple,\n", "n.csv"));
    EXPECT_EQ(r.labels.size(), 2u);
    EXPECT_FALSE(r.metric.has_value());
    EXPECT_EQ(r.unseen, (std::map<std::string, std::int64_t>{{"color", 1}}));

    test::write_bytes(dir.file("junk.safetensors"), "junk");
    EXPECT_THROW(load_tabular(dir.file("junk.safetensors")), Error);
}

}  // namespace
}  // namespace soma::models
