// The recurrent-net gallery entries (07-09), seeded quick runs: each learns what its slide
// claims. Thresholds come from measured runs with a wide margin.

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

class GalleryRnn : public ::testing::Test {
protected:
    test::TempDir dir;
};

TEST_F(GalleryRnn, Cos2SinRecurrentNetsBeatThePerceptron) {
    Result r = run_quick("07_cos2sin", dir.path.string()).result;
    ASSERT_TRUE(r.ok) << r.summary;
    // Measured with seed 0 in quick mode: perceptron 0.500 (= E[sin²]), Elman RNN 0.072,
    // GRU 0.061, LSTM 0.062.
    EXPECT_GT(r.metrics.at("perceptron_mse"), 0.4);
    EXPECT_LT(r.metrics.at("gru_mse"), 0.15);
    EXPECT_LT(r.metrics.at("gru_mse") * 4, r.metrics.at("perceptron_mse"));
    EXPECT_LT(r.metrics.at("rnn_mse"), 0.2);
    EXPECT_LT(r.metrics.at("lstm_mse"), 0.2);
}

TEST_F(GalleryRnn, BpttGradientsVanishInTheElmanNetOnly) {
    Result r = run_quick("08_bptt_gradients", dir.path.string()).result;
    ASSERT_TRUE(r.ok) << r.summary;
    // Measured with seed 0 in quick mode (lag 40): at initialisation the gradient at lag 40
    // relative to lag 0 is ~1e-12 for the Elman net and ~4e-2 for the LSTM; accuracies
    // Elman 52%, GRU 100%, LSTM 99%.
    EXPECT_LT(r.metrics.at("rnn_init_grad_ratio"), 1e-4 * r.metrics.at("lstm_init_grad_ratio"));
    EXPECT_LT(r.metrics.at("rnn_grad_ratio"), 1e-3 * r.metrics.at("lstm_grad_ratio"));
    EXPECT_LT(r.metrics.at("rnn_accuracy"), 0.7);
    EXPECT_GT(r.metrics.at("lstm_accuracy"), 0.9);
    EXPECT_GT(r.metrics.at("gru_accuracy"), 0.9);
}

TEST_F(GalleryRnn, CharRnnBeatsLetterFrequencies) {
    if (!char_rnn_data_available())
        GTEST_SKIP() << "no /usr/share/dict/american-english (wamerican)";
    Result r = run_quick("09_char_rnn", dir.path.string()).result;
    ASSERT_TRUE(r.ok) << r.summary;
    // Measured with seed 0 in quick mode: 3.32 bits/char held out; letter frequencies 4.24.
    EXPECT_LT(r.metrics.at("bits_per_char"), 3.7);
    EXPECT_LT(r.metrics.at("bits_per_char"), r.metrics.at("unigram_bits") - 0.5);
}

}  // namespace
}  // namespace soma::gallery
