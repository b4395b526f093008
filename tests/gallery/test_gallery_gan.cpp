// The GAN gallery entry (2-D mixtures), a seeded quick run: with PacGAN's remedy the generator
// reaches the modes, and every run's figure is drawn. Bounds: a measured quick run, with margin.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "gallery/gallery.h"
#include "io/io_test_util.h"

namespace soma::gallery {
namespace {

TEST(GalleryGan, GeneratorsReachTheModes) {
    test::TempDir dir;
    std::ostringstream log;
    const Entry* e = find("16_gan");
    ASSERT_NE(e, nullptr);
    Context ctx{.out_dir = dir.path.string(), .seed = 0, .quick = true, .log = &log};
    const Result r = run(*e, ctx);
    ASSERT_TRUE(r.ok) << r.summary << "\n" << log.str();
    EXPECT_EQ(r.figures.size(), 4u);
    for (const std::string& f : r.figures) EXPECT_TRUE(std::filesystem::exists(f)) << f;
    EXPECT_GE(r.metrics.at("ring_pac_modes"), 7);
    EXPECT_GE(r.metrics.at("grid_pac_modes"), 18);
    EXPECT_GT(r.metrics.at("ring_pac_high_quality"), 0.3);
}

}  // namespace
}  // namespace soma::gallery
