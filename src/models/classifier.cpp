// The Fashion-MNIST models, built from nn layers.

#include "soma/models/classifier.h"

#include "soma/error.h"
#include "soma/nn/activation.h"
#include "soma/nn/conv.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/norm.h"
#include "soma/nn/pool.h"
#include "soma/nn/residual.h"

namespace soma::models {

namespace {

using nn::Module;
using Ptr = std::shared_ptr<Module>;

Ptr linear(std::int64_t in, std::int64_t out) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out});
}
Ptr relu() { return std::make_shared<nn::ReLU>(); }

std::shared_ptr<nn::Sequential> mlp() {
    return std::make_shared<nn::Sequential>(
        std::vector<Ptr>{std::make_shared<nn::Flatten>(), linear(784, 256), relu(),
                         linear(256, 256), relu(), linear(256, 10)});
}

std::shared_ptr<nn::Sequential> mlp_wide() {
    std::vector<Ptr> layers{std::make_shared<nn::Flatten>()};
    std::int64_t in = 784;
    for (int i = 0; i < 2; ++i) {
        layers.push_back(linear(in, 1024));
        layers.push_back(
            std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = 1024}));
        layers.push_back(relu());
        layers.push_back(std::make_shared<nn::Dropout>(0.3));
        in = 1024;
    }
    layers.push_back(linear(in, 10));
    return std::make_shared<nn::Sequential>(std::move(layers));
}

std::shared_ptr<nn::Sequential> cnn() {
    auto conv = [](std::int64_t in, std::int64_t out) -> Ptr {
        return std::make_shared<nn::Conv2d>(nn::ConvOptions{
            .in_channels = in, .out_channels = out, .kernel_size = 3, .padding = 1});
    };
    auto pool = [] {
        return std::make_shared<nn::MaxPool2d>(nn::MaxPoolOptions{.kernel_size = 2});
    };
    return std::make_shared<nn::Sequential>(std::vector<Ptr>{
        conv(1, 32), relu(), pool(), conv(32, 64), relu(), pool(), std::make_shared<nn::Flatten>(),
        linear(64 * 7 * 7, 128), relu(), std::make_shared<nn::Dropout>(0.25), linear(128, 10)});
}

// Stem, then one BasicBlock per stage at widths w, 2w (stride 2), 4w (stride 2). With w = 16
// an epoch costs about three times the CNN's on two cores; w = 32 about three times that
// again (33 s and 95 s an epoch measured).
std::shared_ptr<nn::Sequential> resnet(std::int64_t w) {
    auto block = [](std::int64_t in, std::int64_t out, std::int64_t stride) -> Ptr {
        return std::make_shared<nn::BasicBlock>(
            nn::BasicBlockOptions{.in_channels = in, .out_channels = out, .stride = stride});
    };
    return std::make_shared<nn::Sequential>(std::vector<Ptr>{
        std::make_shared<nn::Conv2d>(nn::ConvOptions{
            .in_channels = 1, .out_channels = w, .kernel_size = 3, .padding = 1, .bias = false}),
        std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.num_features = w}), relu(),
        block(w, w, 1), block(w, 2 * w, 2), block(2 * w, 4 * w, 2),
        std::make_shared<nn::AdaptiveAvgPool2d>(nn::AdaptiveAvgPoolOptions{.output_size = 1}),
        std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25), linear(4 * w, 10)});
}

}  // namespace

const std::vector<std::string>& fmnist_model_names() {
    static const std::vector<std::string> names = {"mlp", "mlp-wide", "cnn", "resnet",
                                                   "resnet-wide"};
    return names;
}

std::shared_ptr<nn::Sequential> fmnist_model(const std::string& name) {
    if (name == "mlp") return mlp();
    if (name == "mlp-wide") return mlp_wide();
    if (name == "cnn") return cnn();
    if (name == "resnet") return resnet(16);
    if (name == "resnet-wide") return resnet(32);
    fail("fmnist_model: unknown model '", name,
         "' (known: mlp, mlp-wide, cnn, resnet, resnet-wide)");
}

std::int64_t fmnist_default_batch_size(const std::string& name) { return name == "cnn" ? 64 : 128; }

}  // namespace soma::models
