// train_tabular on train::fit: it learns the mixed fixture table, a resumed run continues the
// uninterrupted run's curve, a contradicting setting is refused, and both weight files it
// writes hold the model with its preprocessing.

#include <gtest/gtest.h>

#include <string>

#include "io/io_test_util.h"
#include "soma/error.h"
#include "soma/models/tabular_train.h"

namespace soma::models {
namespace {

TabularSettings mixed(std::int64_t epochs) {
    return {.file = std::string(SOMA_FIXTURE_DIR) + "/csv/mixed_train.csv",
            .target = "label",
            .ignore = "id, note",
            .hidden = "16",
            .lr = 0.01,
            .epochs = epochs};
}

TEST(TabularTrain, LearnsAndResumesExactly) {
    test::TempDir dir;
    const TabularRun full = train_tabular(mixed(8), {.out_dir = dir.file("full")});
    ASSERT_EQ(full.history.size(), 8u);
    EXPECT_EQ(full.train_rows, 240);
    EXPECT_EQ(full.val_rows, 60);
    EXPECT_EQ(full.metric_name, "accuracy");
    EXPECT_GT(full.val_metric, full.baseline + 0.1);  // better than the majority class

    const TabularRun first = train_tabular(mixed(5), {.out_dir = dir.file("part")});
    const TabularRun rest = train_tabular(mixed(8), {.out_dir = dir.file("part"),
                                                     .resume = first.checkpoint,
                                                     .given = std::set<std::string>{}});
    ASSERT_EQ(rest.history.size(), 8u);
    for (std::size_t e = 0; e < 8; ++e)
        EXPECT_EQ(rest.history[e].values.get("val_loss"), full.history[e].values.get("val_loss"))
            << "epoch " << e + 1;
    EXPECT_EQ(rest.val_metric, full.val_metric);

    TabularSettings other = mixed(8);
    other.hidden = "8";
    try {
        train_tabular(other, {.out_dir = dir.file("part"),
                              .resume = first.checkpoint,
                              .given = std::set<std::string>{"hidden"}});
        ADD_FAILURE() << "a contradicting --hidden was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("hidden"), std::string::npos) << e.what();
    }

    for (const std::string& path : {rest.checkpoint, rest.best_weights}) {
        TabularModel m = load_tabular(path);
        EXPECT_EQ(m.encoding, rest.model.encoding) << path;
        EXPECT_EQ(m.options.hidden, (std::vector<std::int64_t>{16})) << path;
    }
}

}  // namespace
}  // namespace soma::models
