// The data checks: labels, NaN/Inf, the inputs' scale, and test examples found in training.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "soma/autograd.h"
#include "soma/data/overlap.h"
#include "train/check/context.h"

namespace soma::train::check_detail {
namespace {

// Every target of the training split when it is held in one tensor (cheap to read), else the
// sample's.
Tensor all_targets(const Context& c) {
    if (auto* t = dynamic_cast<const data::TensorDataset*>(c.subject.train.get()))
        return t->targets();
    return c.sample.target;
}

Tensor all_inputs(const data::Dataset& d) {
    if (auto* t = dynamic_cast<const data::TensorDataset*>(&d)) return t->inputs();
    std::vector<std::int64_t> idx(static_cast<std::size_t>(d.size()));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::int64_t>(i);
    return d.get_batch(idx).input;
}

std::vector<double> as_doubles(const Tensor& t) {
    NoGrad no_grad;
    return t.to(kFloat64).contiguous().to_vector<double>();
}

CheckLine class_labels(const Context& c) {
    const Tensor targets = all_targets(c);
    if (targets.dtype() != kInt64)
        return failed(
            "targets are " + std::string(dtype_name(targets.dtype())) + ", not int64 class indices",
            "a classifier's targets are class indices 0 .. C-1 (int64)");
    const std::int64_t classes = c.subject.classes;
    std::vector<std::int64_t> counts(static_cast<std::size_t>(classes), 0);
    std::set<std::int64_t> outside;
    for (std::int64_t y : targets.contiguous().to_vector<std::int64_t>()) {
        if (y < 0 || y >= classes)
            outside.insert(y);
        else
            ++counts[static_cast<std::size_t>(y)];
    }
    if (!outside.empty())
        return failed("label " + std::to_string(*outside.begin()) + " is outside [0, " +
                          std::to_string(classes) + ") (" + std::to_string(outside.size()) +
                          " such values, from " + std::to_string(*outside.begin()) + " to " +
                          std::to_string(*outside.rbegin()) + ")",
                      "labels must be 0 .. " + std::to_string(classes - 1) +
                          ": labels shifted by one (1-based?) or the wrong number of classes");
    const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
    std::string detail = std::to_string(classes) + " classes, " + count(*lo) + " to " + count(*hi) +
                         " examples each, of " + count(targets.numel());
    std::string empty;
    for (std::size_t k = 0; k < counts.size(); ++k)
        if (counts[k] == 0) empty += (empty.empty() ? "" : ", ") + std::to_string(k);
    if (!empty.empty())
        return warned(detail + "; classes " + empty + " never occur",
                      "a class without examples is never learned: check the labels and the "
                      "number of classes");
    if (*hi > 10 * *lo)
        return warned(detail + " (imbalance " + num(double(*hi) / double(*lo)) + "x)",
                      "heavily imbalanced: weight the loss (cross_entropy's weight) or resample, "
                      "and report per-class recall");
    return passed(detail);
}

CheckLine regression_targets(const Context& c) {
    const std::vector<double> y = as_doubles(all_targets(c));
    double mean = 0;
    for (double v : y) mean += v;
    mean /= double(y.size());
    double var = 0;
    for (double v : y) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / double(y.size()));
    std::set<double> distinct;
    bool whole = true;
    for (double v : y) {
        whole = whole && v == std::floor(v);
        if (distinct.size() <= 20) distinct.insert(v);
    }
    const std::string detail = "targets: mean " + num(mean) + ", std " + num(sd);
    if (whole && distinct.size() <= 20 && distinct.size() >= 2 && *distinct.begin() >= 0)
        return warned(detail + "; only " + std::to_string(distinct.size()) +
                          " distinct whole values from " + num(*distinct.begin()) + " to " +
                          num(*distinct.rbegin()),
                      "these look like class indices: train a classifier (cross-entropy on "
                      "logits), not a regression on the index");
    if (sd > 10 || std::fabs(mean) > 10 * std::max(sd, 1e-12))
        return warned(detail, "standardise the target (and undo it for predictions)");
    return passed(detail);
}

}  // namespace

CheckLine check_labels(Context& c) {
    return c.classification() ? class_labels(c) : regression_targets(c);
}

CheckLine check_finite_data(Context& c) {
    std::int64_t bad_inputs = 0, bad_targets = 0;
    for (double v : as_doubles(c.sample.input)) bad_inputs += !std::isfinite(v);
    if (c.sample.target.dtype() != kInt64)
        for (double v : as_doubles(c.sample.target)) bad_targets += !std::isfinite(v);
    const std::string where = "of " + count(c.sample.input.size(0)) + " sampled examples";
    if (bad_inputs + bad_targets > 0)
        return failed(count(bad_inputs) + " NaN/Inf input values and " + count(bad_targets) +
                          " in the targets, " + where,
                      "missing values reach the model: impute or drop them before training");
    return passed("no NaN or Inf " + where);
}

CheckLine check_input_scale(Context& c) {
    const Tensor x = c.sample.input;
    // Images (N, C, H, W) with a few channels: per channel; anything else: per feature of the
    // flattened example, summarised by the worst one.
    const bool images = x.dim() == 4 && x.size(1) <= 16;
    const std::int64_t n = x.size(0);
    const std::int64_t groups = images ? x.size(1) : x.numel() / n;
    const std::int64_t inner = images ? x.size(2) * x.size(3) : 1;
    const std::vector<double> v = as_doubles(x);
    std::vector<double> sum(static_cast<std::size_t>(groups), 0), sq(sum), lo(sum.size(), INFINITY),
        hi(sum.size(), -INFINITY);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t g = 0; g < groups; ++g)
            for (std::int64_t k = 0; k < inner; ++k) {
                const double e = v[static_cast<std::size_t>((i * groups + g) * inner + k)];
                if (!std::isfinite(e)) continue;
                auto gi = static_cast<std::size_t>(g);
                sum[gi] += e, sq[gi] += e * e, lo[gi] = std::min(lo[gi], e),
                                               hi[gi] = std::max(hi[gi], e);
            }
    double total = 0, total_sq = 0, min_all = INFINITY, max_all = -INFINITY, worst_mean = 0,
           worst_sd = 1;
    std::int64_t constant = 0;
    const double per = double(n * inner);
    for (std::size_t g = 0; g < sum.size(); ++g) {
        total += sum[g], total_sq += sq[g];
        min_all = std::min(min_all, lo[g]), max_all = std::max(max_all, hi[g]);
        const double mean = sum[g] / per, sd = std::sqrt(std::max(0.0, sq[g] / per - mean * mean));
        constant += hi[g] == lo[g];
        if (std::fabs(mean) > std::fabs(worst_mean)) worst_mean = mean;
        if (hi[g] > lo[g] && std::fabs(std::log(sd)) > std::fabs(std::log(worst_sd))) worst_sd = sd;
    }
    const double count_all = per * double(groups);
    const double mean = total / count_all;
    const double sd = std::sqrt(std::max(0.0, total_sq / count_all - mean * mean));
    std::string detail = "range [" + num(min_all) + ", " + num(max_all) + "], mean " + num(mean) +
                         ", std " + num(sd);
    if (images && groups > 1) detail += " (over " + std::to_string(groups) + " channels)";
    if (!images && groups > 1)
        detail += "; per feature, mean up to " + num(worst_mean) + ", std " + num(worst_sd);
    if (max_all - min_all > 50 || std::fabs(mean) > 10 || sd > 10)
        return failed(detail, max_all > 100 && min_all >= 0
                                  ? "inputs look like raw 0-255 pixel values: divide by 255 and "
                                    "standardise (subtract the mean, divide by the std)"
                                  : "inputs are far from unit scale: standardise them (subtract "
                                    "the training mean, divide by the std)");
    if (std::fabs(worst_mean) > 3 || worst_sd > 5 || worst_sd < 0.05)
        return warned(detail,
                      "some inputs are far from mean 0, std 1: standardise each feature "
                      "(or channel) with the training split's statistics");
    if (constant > 0 && !images)
        return warned(detail + "; " + std::to_string(constant) + " constant features",
                      "constant features carry nothing: drop them");
    return passed(detail);
}

CheckLine check_overlap(Context& c) {
    if (!c.subject.test) return skipped("no test split given");
    const Tensor train = all_inputs(*c.subject.train), test = all_inputs(*c.subject.test);
    // The tolerance in the data's own units: a fraction of the inputs' std.
    double sd = 0, mean = 0;
    {
        const std::vector<double> v = as_doubles(c.sample.input);
        for (double e : v) mean += e;
        mean /= double(v.size());
        for (double e : v) sd += (e - mean) * (e - mean);
        sd = std::sqrt(sd / double(v.size()));
    }
    const data::Overlap o = data::find_overlap(train, test, c.options.near_duplicate * sd);
    const std::int64_t m = test.size(0), features = test.numel() / std::max<std::int64_t>(1, m);
    std::string detail = count(o.exact) + " exact and " + count(o.near - o.exact) +
                         " more near duplicates of the " + count(m) + " test examples in the " +
                         count(train.size(0)) + " training ones";
    // In a table of a few features, close rows are ordinary (same categories, similar numbers):
    // only exact copies count there. Signals (images, sounds) are not close by chance.
    const bool signal = features >= 64;
    const std::int64_t leaked = signal ? o.near : o.exact;
    if (!signal) detail += " (a table: exact copies count)";
    if (double(leaked) > 0.01 * double(m))
        return failed(detail + ", " + percent(double(leaked) / double(m)) + " of the test split",
                      "the test split leaks into training: remove the test examples from the "
                      "training data, or every test number is too good");
    if (leaked > 0)
        return warned(detail,
                      "a few duplicates: say so next to results measured on this test "
                      "split (or remove them)");
    return passed(detail);
}

}  // namespace soma::train::check_detail
