// The training layer's small parts: records as JSON, early stopping, the progress bar's plain
// output, the confusion table, the model zoo's shapes.

#include <gtest/gtest.h>

#include <sstream>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/models/classifier.h"
#include "soma/random.h"
#include "soma/train/metrics.h"
#include "soma/train/progress.h"

namespace soma::train {
namespace {

TEST(TrainMetrics, RecordRoundTripsThroughJsonExactly) {
    EpochRecord r{.epoch = 3,
                  .values = {{"train_loss", 0.1 / 3},
                             {"train_accuracy", 0.875},
                             {"val_loss", 1e-7},
                             {"val_accuracy", 2.0 / 3},
                             {"lr", 1e-3},
                             {"seconds", 12.5},
                             {"samples_per_s", 4000}}};
    const std::string line = to_json(r);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_NE(line.find("\"epoch\":3"), std::string::npos) << line;
    EXPECT_EQ(record_from_json(line), r);
    EXPECT_EQ(history_from_json(history_to_json({r, r})), (std::vector<EpochRecord>{r, r}));
    // The metrics keep their order; a record without an epoch or with a non-number is an error.
    EXPECT_EQ(record_from_json(line).values.items()[0].first, "train_loss");
    EXPECT_THROW(record_from_json("{\"loss\":1}"), Error);
    EXPECT_THROW(record_from_json("{\"epoch\":1,\"loss\":\"x\"}"), Error);
    EXPECT_THROW(r.get("test_loss"), Error);
    EXPECT_THROW(history_from_json("[1,"), Error);
}

TEST(TrainMetrics, EarlyStoppingWaitsForPatienceEpochs) {
    EarlyStopping es(2);
    EXPECT_FALSE(es.update(1.0));
    EXPECT_FALSE(es.update(0.8));
    EXPECT_TRUE(es.improved());
    EXPECT_FALSE(es.update(0.9));  // one bad epoch
    EXPECT_FALSE(es.update(0.7));  // improvement resets the count
    EXPECT_FALSE(es.update(0.7));
    EXPECT_TRUE(es.update(0.75));  // two bad epochs in a row
    EXPECT_DOUBLE_EQ(es.best(), 0.7);
    EarlyStopping off(0);
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(off.update(1.0 + i));
}

TEST(TrainMetrics, ConfusionTableHasCountsAndRecall) {
    Tensor cm = from_vector(std::vector<std::int64_t>{8, 2, 1, 9}, {2, 2});
    const std::string t = format_confusion(cm, {"cat", "dog"});
    EXPECT_NE(t.find("0 cat"), std::string::npos) << t;
    EXPECT_NE(t.find("80.0%"), std::string::npos) << t;
    EXPECT_NE(t.find("90.0%"), std::string::npos) << t;
}

TEST(TrainProgress, PlainOutputWritesTenLinesPerEpoch) {
    std::ostringstream os;
    ProgressBar bar(os, false, "epoch 1/1", 1000);
    for (int done = 10; done <= 1000; done += 10) bar.update(done, 0.5);
    bar.finish();
    const std::string s = os.str();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 10) << s;
    EXPECT_EQ(s.find('\r'), std::string::npos);
    EXPECT_NE(s.find("samples/s"), std::string::npos);
    EXPECT_NE(s.find("loss 0.5000"), std::string::npos);
    EXPECT_NE(s.find("ETA"), std::string::npos);
}

TEST(TrainProgress, TerminalOutputRedrawsOneLine) {
    std::ostringstream os;
    ProgressBar bar(os, true, "epoch 2/3", 100);
    bar.update(50, 1.25);
    bar.update(100, 1.0);
    bar.finish();
    const std::string s = os.str();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
    EXPECT_NE(s.find('\r'), std::string::npos);
    EXPECT_NE(s.find("[########################]"), std::string::npos) << s;
}

TEST(FmnistModels, MapImagesToTenLogits) {
    manual_seed(0);
    NoGrad no_grad;
    const Tensor x = randn({2, 1, 28, 28});
    for (const std::string& name : models::fmnist_model_names()) {
        auto m = models::fmnist_model(name);
        m->eval();
        EXPECT_EQ((*m)(x).shape(), Shape({2, 10})) << name;
    }
    EXPECT_EQ(models::fmnist_model("mlp")->num_parameters(),
              784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    EXPECT_EQ(models::fmnist_model("cnn")->num_parameters(),
              32 * 9 + 32 + 64 * 32 * 9 + 64 + 3136 * 128 + 128 + 1280 + 10);
    EXPECT_THROW(models::fmnist_model("vgg"), Error);
}

}  // namespace
}  // namespace soma::train
