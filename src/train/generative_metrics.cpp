// The classifier score, the penultimate-layer features and the pixel-entropy floor
// (frechet_distance.cpp holds the Fréchet distance).

#include "soma/train/generative_metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"

namespace soma::train {

ClassifierScore classifier_score(const Tensor& logits, double threshold) {
    check(logits.dim() == 2 && logits.size(0) >= 1 && logits.size(1) >= 1,
          "classifier_score: logits must be (N, classes) with N >= 1, got ", logits.shape());
    const std::int64_t n = logits.size(0), c = logits.size(1);
    const std::vector<double> z = logits.to_vector<double>();
    // log p(y|x) by a stable log-softmax, one row per image.
    std::vector<double> log_p(n * c), p_y(c, 0.0);
    std::int64_t confident = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double* row = &z[i * c];
        const double top = *std::max_element(row, row + c);
        check(std::isfinite(top), "classifier_score: logits hold inf or NaN (image ", i, ")");
        double sum = 0;
        for (std::int64_t k = 0; k < c; ++k) sum += std::exp(row[k] - top);
        const double log_sum = top + std::log(sum);
        for (std::int64_t k = 0; k < c; ++k) {
            log_p[i * c + k] = row[k] - log_sum;
            p_y[k] += std::exp(log_p[i * c + k]);
        }
        // The largest probability is exp(top - log_sum) = 1 / sum.
        if (1.0 / sum > threshold) ++confident;
    }
    for (double& p : p_y) p /= static_cast<double>(n);
    double kl_sum = 0;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = 0; k < c; ++k) {
            const double p = std::exp(log_p[i * c + k]);
            if (p > 0) kl_sum += p * (log_p[i * c + k] - std::log(p_y[k]));  // 0 log 0 = 0
        }
    return {.score = std::exp(kl_sum / static_cast<double>(n)),
            .confident = static_cast<double>(confident) / static_cast<double>(n)};
}

FeaturesAndLogits features_and_logits(nn::Sequential& model, const Tensor& images,
                                      std::int64_t batch_size) {
    check(!model.empty() && dynamic_cast<nn::Linear*>(model.ptr(-1).get()) != nullptr,
          "penultimate_features: the model's last layer must be a Linear, not ",
          model.empty() ? std::string("nothing") : model[-1].type_name());
    check(images.dim() >= 1 && images.size(0) >= 1, "penultimate_features: no images");
    check(batch_size >= 1, "penultimate_features: batch_size must be >= 1, got ", batch_size);
    // Evaluation mode for the pass, the caller's mode afterwards (also after an exception).
    struct ModeGuard {
        nn::Module& m;
        bool was;
        ~ModeGuard() { m.train(was); }
    } guard{model, model.is_training()};
    model.eval();
    autograd::NoGrad no_grad;
    const std::int64_t n = images.size(0), layers = static_cast<std::int64_t>(model.size());
    std::vector<Tensor> features, logits;
    for (std::int64_t start = 0; start < n; start += batch_size) {
        Tensor x = images.narrow(0, start, std::min(batch_size, n - start));
        for (std::int64_t l = 0; l + 1 < layers; ++l) x = model[l].forward(x);
        check(x.dim() == 2, "penultimate_features: the last layer's input must be (N, D), got ",
              x.shape());
        logits.push_back(model[-1].forward(x));  // (B, D) -> (B, classes)
        features.push_back(x);
    }
    return {.features = cat(features, 0), .logits = cat(logits, 0)};
}

Tensor penultimate_features(nn::Sequential& model, const Tensor& images, std::int64_t batch_size) {
    return features_and_logits(model, images, batch_size).features;
}

double summed_pixel_entropy(const Tensor& images) {
    check(images.dim() >= 1 && images.size(0) >= 1 && images.numel() >= 1,
          "summed_pixel_entropy: no images");
    const std::vector<double> p = images.to_vector<double>();
    double total = 0;
    for (double v : p) {
        check(v >= 0 && v <= 1, "summed_pixel_entropy: values must be in [0, 1], got ", v);
        // −p log p − (1 − p) log(1 − p); each term is 0 at its end of [0, 1].
        if (v > 0) total -= v * std::log(v);
        if (v < 1) total -= (1 - v) * std::log1p(-v);
    }
    return total / static_cast<double>(images.size(0));
}

}  // namespace soma::train
