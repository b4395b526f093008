#pragma once
// The objects the checkpoint harness loads into, shared with the program that writes its seed
// corpus (seed_checkpoint.cpp): a small model with parameters and buffers, two optimizers of
// different types with state, and a generator, as a GAN's training run would save.

#include <memory>
#include <vector>

#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/norm.h"
#include "soma/optim/adam.h"
#include "soma/optim/sgd.h"
#include "soma/random.h"

struct CheckpointTarget {
    std::shared_ptr<soma::nn::Sequential> model =
        std::make_shared<soma::nn::Sequential>(soma::nn::Sequential{
            std::make_shared<soma::nn::Linear>(soma::nn::LinearOptions{3, 4}),
            std::make_shared<soma::nn::BatchNorm1d>(soma::nn::BatchNormOptions{.num_features = 4}),
            std::make_shared<soma::nn::Linear>(soma::nn::LinearOptions{4, 2})});
    soma::optim::Adam adam{model->parameters()};
    soma::optim::SGD sgd{model->parameters(), {.lr = 0.1, .momentum = 0.9}};
    soma::Generator rng{7};

    std::vector<soma::optim::Optimizer*> optimizers(int count) {
        std::vector<soma::optim::Optimizer*> all{&adam, &sgd};
        all.resize(static_cast<std::size_t>(count));
        return all;
    }
};
