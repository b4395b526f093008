// What the adversarial entries (18_fgsm to 21_input_dimension) share: a classifier trained by the
// recipe and seen from pixel space, the test images in pixels, accuracy under an attack.

#include <algorithm>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/scheduler.h"
#include "soma/train/classification.h"

namespace soma::gallery {

using data::datasets::FashionMNIST;
using data::datasets::Split;

bool fmnist_available() {
    return FashionMNIST::available() &&
           FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test);
}

PixelImages fmnist_test_pixels(std::int64_t n) {
    const FashionMNIST test(data::datasets::kFashionMnistRoot, Split::Test);
    n = std::min(n, test.size());
    return {test.images().narrow(0, 0, n).contiguous(), test.labels().narrow(0, 0, n).contiguous()};
}

std::shared_ptr<attack::Normalized> train_pixel_classifier(const train::FmnistOptions& options) {
    const train::FmnistRun run = train::train_fmnist(options);
    auto model =
        std::make_shared<attack::Normalized>(run.model, train::kFmnistMean, train::kFmnistStd);
    model->eval();
    return model;
}

double accuracy_under(nn::Module& model, const PixelImages& data, const AttackFn& attack) {
    constexpr std::int64_t kBatch = 250;
    const std::int64_t n = data.images.size(0);
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < n; start += kBatch) {
        const std::int64_t len = std::min(kBatch, n - start);
        const Tensor x = data.images.narrow(0, start, len);
        const Tensor y = data.labels.narrow(0, start, len);
        const Tensor xa = attack ? attack(x, y) : x;
        NoGrad no_grad;
        correct += train::count_correct(model(xa), y);
    }
    return double(correct) / double(n);
}

void fit_full_batch(nn::Module& model, const Tensor& x, const Tensor& y, int steps,
                    optim::AdamOptions adam) {
    optim::Adam opt(model.parameters(), adam);
    optim::CosineAnnealingLR anneal(opt, {.t_max = steps, .eta_min = 1e-4});
    for (int step = 0; step < steps; ++step) {
        const Tensor loss = nn::cross_entropy(model(x), y);  // (N, C) -> ()
        opt.zero_grad();
        loss.backward();
        opt.step();
        anneal.step();
    }
}

std::vector<std::int64_t> predict_classes(nn::Module& model, const Tensor& x) {
    NoGrad no_grad;
    return argmax(model(x), 1).to_vector<std::int64_t>();
}

}  // namespace soma::gallery
