#pragma once
// The Fashion-MNIST classifiers of the lecture's classifier recipe, by name:
//
//   auto net = models::fmnist_model("cnn");  // (N, 1, 28, 28) -> (N, 10) logits
//
//   mlp     784 -> 256 ReLU -> 256 ReLU -> 10                    (bench's fmnist-mlp)
//   mlp-wide  784 -> 1024 BN ReLU dropout 0.3 -> 1024 BN ReLU dropout 0.3 -> 10 (the MLP of
//           the best recipe: wide enough to use augmentation, regularised to not overfit)
//   cnn     conv 1->32 3x3 pad 1, ReLU, maxpool 2; conv 32->64 3x3 pad 1, ReLU, maxpool 2;
//           flatten 3136 -> 128 ReLU, dropout 0.25 -> 10          (bench's fmnist-cnn)
//   resnet  a small ResNet: conv 1->16 + batch norm, BasicBlocks 16 -> 32 (stride 2) -> 64
//           (stride 2), global average pooling, dropout 0.25 -> 10
//   resnet-wide  the same at twice the width: 32 -> 64 -> 128
//
// Parameters are drawn from the default generator (seed it with manual_seed first); the
// dropout layers draw their masks from it too, so a checkpoint that saves it resumes exactly.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/nn/container.h"

namespace soma::models {

// "mlp", "mlp-wide", "cnn", "resnet", "resnet-wide".
const std::vector<std::string>& fmnist_model_names();

// Throws soma::Error for an unknown name, listing the known ones.
std::shared_ptr<nn::Sequential> fmnist_model(const std::string& name);

// The batch size of the model's benchmark workload (WORKLOADS.md): 128 for mlp, 64 for cnn;
// 128 for the others.
std::int64_t fmnist_default_batch_size(const std::string& name);

}  // namespace soma::models
