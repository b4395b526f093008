// Every gallery entry, run in quick mode with a fixed seed, reaches the outcome its slide
// claims; and the registry and HTML page hold together.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "gallery/entries.h"
#include "gallery/gallery.h"
#include "gallery/gallery_test_util.h"
#include "io/io_test_util.h"

namespace soma::gallery {
namespace {

class Gallery : public ::testing::Test {
protected:
    test::TempDir dir;
};

TEST_F(Gallery, RegistryListsTheSlidesInOrder) {
    std::vector<std::string> names;
    for (const Entry& e : entries()) {
        names.push_back(e.name);
        EXPECT_FALSE(e.slide.empty());
        EXPECT_GT(e.caption.size(), 80u) << e.name;
        EXPECT_TRUE(e.run) << e.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"01_binary_xor",
                                               "02_perceptron",
                                               "03_backprop",
                                               "04_activations",
                                               "05_mlp_xor",
                                               "06_recipes",
                                               "07_cos2sin",
                                               "08_bptt_gradients",
                                               "09_char_rnn",
                                               "10_conv_filters",
                                               "11_fmnist_classifier",
                                               "12_attention",
                                               "13_vae",
                                               "14_seq2seq",
                                               "15_pronunciation",
                                               "16_gan",
                                               "17_gan_fmnist",
                                               "18_fgsm",
                                               "19_robust_training",
                                               "20_large_margin",
                                               "21_input_dimension",
                                               "22_residual_nets",
                                               "23_batch_norm",
                                               "24_dropout",
                                               "25_max_pooling",
                                               "26_batches",
                                               "27_double_descent",
                                               "28_gpus"}));
    EXPECT_EQ(find("nope"), nullptr);
}

TEST_F(Gallery, MatchFindsAnEntryByAUniquePartOfItsName) {
    auto names = [](const std::vector<const Entry*>& found) {
        std::vector<std::string> out;
        for (const Entry* e : found) out.push_back(e->name);
        return out;
    };
    using Names = std::vector<std::string>;
    EXPECT_EQ(names(match("cos2sin")), Names{"07_cos2sin"});
    EXPECT_EQ(names(match("07")), Names{"07_cos2sin"});
    EXPECT_EQ(names(match("11_fmnist_classifier")), Names{"11_fmnist_classifier"});
    EXPECT_EQ(names(match("xor")), (Names{"01_binary_xor", "05_mlp_xor"}));
    EXPECT_EQ(names(match("1_")),
              (Names{"01_binary_xor", "11_fmnist_classifier", "21_input_dimension"}));
    EXPECT_TRUE(match("nope").empty());
    EXPECT_TRUE(match("").empty());
}

TEST_F(Gallery, BinaryXorPrintsTheSlidesTruthTable) {
    EntryRun r = run_quick("01_binary_xor", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    EXPECT_EQ(r.result.metrics.at("rows_matching"), 4);
    // x1 x2 | h1 h2 | y, in the slide's row order.
    for (const char* row :
         {"  0  0 |  0  0 | 0", "  1  0 |  1  0 | 1", "  0  1 |  1  0 | 1", "  1  1 |  1  1 | 0"})
        EXPECT_NE(r.log.find(row), std::string::npos) << row << "\n" << r.log;
}

TEST_F(Gallery, PerceptronSolvesSeparableDataButNotXor) {
    EntryRun r = run_quick("02_perceptron", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    EXPECT_EQ(r.result.metrics.at("separable_errors"), 0);
    EXPECT_GE(r.result.metrics.at("xor_best_errors"), 1);
}

TEST_F(Gallery, BackpropMatchesTheHandDerivative) {
    EntryRun r = run_quick("03_backprop", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    EXPECT_LT(r.result.metrics.at("max_abs_diff"), 1e-12);
    EXPECT_TRUE(std::filesystem::exists(dir.file("03_backprop.dot")));
    EXPECT_NE(r.log.find("largest difference"), std::string::npos);
}

TEST_F(Gallery, ActivationDerivativesMatchTheSlide) {
    EntryRun r = run_quick("04_activations", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    for (const char* m : {"sigmoid_max_grad_error", "tanh_max_grad_error", "ReLU_max_grad_error"})
        EXPECT_LT(r.result.metrics.at(m), 1e-6) << m;
}

TEST_F(Gallery, MlpLearnsXor) {
    EntryRun r = run_quick("05_mlp_xor", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    const double targets[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; ++i) {
        double y = r.result.metrics.at("yhat_" + std::to_string(i));
        EXPECT_EQ(y > 0.5, targets[i] > 0.5) << "input " << i << ": " << y;
    }
}

TEST_F(Gallery, RecipesOnScikitLearnData) {
    if (sklearn_data_dir().empty())
        GTEST_SKIP() << "scikit-learn's data sets are absent; scripts/setup.sh extracts them "
                        "(or set SOMA_SKLEARN_DATA)";
    EntryRun r = run_quick("06_recipes", dir.path.string());
    ASSERT_TRUE(r.result.ok) << r.result.summary;
    // Measured with seed 0 in quick mode: test RMSE 49.9 (the mean predictor: 79.7), test
    // accuracy 97.5%; the bounds leave a margin for other BLAS builds and compilers.
    EXPECT_LT(r.result.metrics.at("test_rmse"), 58);
    EXPECT_GT(r.result.metrics.at("baseline_rmse"), 70);
    EXPECT_GT(r.result.metrics.at("test_accuracy"), 0.94);
}

TEST_F(Gallery, FailuresBecomeResultsAndTheIndexShowsEverything) {
    Entry boom{"boom", "Some slide", "A caption.",
               [](Context&) -> Result { throw std::runtime_error("went wrong"); }};
    Context ctx{.out_dir = dir.path.string()};
    Result failed = run(boom, ctx);
    EXPECT_FALSE(failed.ok);
    EXPECT_EQ(failed.summary, "failed: went wrong");

    EntryRun good = run_quick("01_binary_xor", dir.path.string());
    write_index(dir.path.string(),
                {{find("01_binary_xor"), good.result, good.log}, {&boom, failed, ""}});
    std::string html = test::read_bytes(dir.file("index.html"));
    EXPECT_NE(html.find("<img src=\"01_binary_xor.svg\""), std::string::npos);
    EXPECT_NE(html.find("Example: XOR-Network"), std::string::npos);
    EXPECT_NE(html.find("failed: went wrong"), std::string::npos);
    EXPECT_NE(html.find("x1 x2 | h1 h2 | y"), std::string::npos);  // the log
}

}  // namespace
}  // namespace soma::gallery
