#pragma once
// What the gallery's files share: each NN_name.cpp defines one entry (its slide, caption and
// whole program) and registry.cpp lists them by number; plus the helpers they use.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gallery.h"
#include "soma/attack/normalized.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/optim/adam.h"
#include "soma/tensor.h"
#include "soma/train/fmnist.h"

namespace soma::gallery {

Entry binary_xor_entry();         // 01_binary_xor.cpp
Entry perceptron_entry();         // 02_perceptron.cpp
Entry backprop_entry();           // 03_backprop.cpp
Entry activations_entry();        // 04_activations.cpp
Entry mlp_xor_entry();            // 05_mlp_xor.cpp
Entry recipes_entry();            // 06_recipes.cpp
Entry cos2sin_entry();            // 07_cos2sin.cpp
Entry bptt_gradients_entry();     // 08_bptt_gradients.cpp
Entry char_rnn_entry();           // 09_char_rnn.cpp
Entry conv_filters_entry();       // 10_conv_filters.cpp
Entry fmnist_classifier_entry();  // 11_fmnist_classifier.cpp
Entry attention_entry();          // 12_attention.cpp
Entry vae_entry();                // 13_vae.cpp
Entry seq2seq_entry();            // 14_seq2seq.cpp
Entry pronunciation_entry();      // 15_pronunciation.cpp
Entry gan_entry();                // 16_gan.cpp
Entry gan_fmnist_entry();         // 17_gan_fmnist.cpp
Entry fgsm_entry();               // 18_fgsm.cpp
Entry robust_training_entry();    // 19_robust_training.cpp
Entry large_margin_entry();       // 20_large_margin.cpp
Entry input_dimension_entry();    // 21_input_dimension.cpp
Entry residual_nets_entry();      // 22_residual_nets.cpp
Entry batch_norm_entry();         // 23_batch_norm.cpp
Entry dropout_entry();            // 24_dropout.cpp
Entry max_pooling_entry();        // 25_max_pooling.cpp
Entry batches_entry();            // 26_batches.cpp
Entry double_descent_entry();     // 27_double_descent.cpp
Entry gpus_entry();               // 28_gpus.cpp

// Where the sklearn CSV files are (06_recipes.cpp): $SOMA_SKLEARN_DATA, else the first of
// /var/cache/soma/sklearn, $XDG_CACHE_HOME/soma/sklearn, ~/.cache/soma/sklearn and
// python3-sklearn's own folder that holds iris.csv. Empty when none does.
std::string sklearn_data_dir();

// Whether 09_char_rnn's word list (Debian's wamerican) is installed (09_char_rnn.cpp).
bool char_rnn_data_available();

// Whether 15_pronunciation's dictionary (Debian's pocketsphinx-en-us) is installed.
bool pronunciation_data_available();

// ---- the adversarial entries' helpers (attack_helpers.cpp)
// Whether Fashion-MNIST's training and test splits are installed.
bool fmnist_available();
// Test images in pixels [0, 1], (n, 1, 28, 28), and their (n) int64 labels.
struct PixelImages {
    Tensor images, labels;
};
PixelImages fmnist_test_pixels(std::int64_t n);
// A classifier trained by the recipe (train_fmnist), wrapped to take pixels, in eval mode.
std::shared_ptr<attack::Normalized> train_pixel_classifier(const train::FmnistOptions& options);
// (images, labels) -> the images the model is evaluated on.
using AttackFn = std::function<Tensor(const Tensor& images, const Tensor& labels)>;
// Accuracy on `data` after `attack` (null: the clean images), in batches of 250.
double accuracy_under(nn::Module& model, const PixelImages& data, const AttackFn& attack);
// Full-batch training of a small classifier: Adam on the cross-entropy of model(x) (N, C) against
// y (N), the lr annealed (cosine) to 1e-4 over `steps` (20_large_margin, 21_input_dimension).
void fit_full_batch(nn::Module& model, const Tensor& x, const Tensor& y, int steps,
                    optim::AdamOptions adam);
// argmax of model(x) (N, C) per row, without a graph.
std::vector<std::int64_t> predict_classes(nn::Module& model, const Tensor& x);
// A model seen by an attack that takes one radius per example, where soma's attacks take one per
// batch: forward(z) = model(x0 + e * (z - x0)) with e_i = eps[i]. An attack at radius 1 around
// x0 on this module is the same attack at radius eps[i] around each x0_i on the model (the
// balls, random starts and steps are scaled copies; a point z maps to x0 + e (z - x0)), so one
// call tests every point at its own eps (20_large_margin.cpp).
class PerExampleEps : public nn::Module {
public:
    // x0: (N, ...); eps: N radii > 0.
    PerExampleEps(nn::Module& model, const Tensor& x0, const std::vector<double>& eps);
    Tensor forward(const Tensor& z) override;  // z: x0's shape -> the model's output
    std::string type_name() const override { return "PerExampleEps"; }
    void visit(nn::Visitor& v) override { v.module("model", model_); }

private:
    nn::Module& model_;
    Tensor x0_, e_;  // e_: (N, 1, ...), broadcasting over x0's other dimensions
};

// ---- the tricks slide's helpers (tricks_helpers.cpp)
// Ten Gaussian classes in 20 dimensions: class means drawn once (N(0, 1) coordinates), each
// example its class mean plus N(0, noise^2) per coordinate.
inline constexpr std::int64_t kBlobClasses = 10, kBlobDim = 20;
struct ClassData {
    Tensor x;  // (N, 20) float32
    Tensor y;  // (N) int64
};
ClassData blob_classes(std::int64_t n, double noise, std::uint64_t seed);
// Linear(in, out) with PyTorch's default initialisation (from the default generator).
std::shared_ptr<nn::Linear> dense(std::int64_t in, std::int64_t out);
// Cross-entropy and accuracy of the model (put in eval mode) on all of `d`.
double loss_on(nn::Module& model, const ClassData& d);
double accuracy_on(nn::Module& model, const ClassData& d);
struct TrainPlan {
    int steps = 300;
    std::int64_t batch = 64;
    double lr = 1e-3;  // Adam
    int record_every = 25;
    std::uint64_t seed = 0;  // the batches' order
};
struct Curves {
    std::vector<double> batch_loss;                   // every step's training batch
    std::vector<double> step, train_loss, test_loss;  // every record_every steps, full sets
    double train_accuracy = 0, test_accuracy = 0;     // at the end
};
// Adam on the cross-entropy in shuffled mini-batches (model in training mode), recording curves.
Curves train_recorded(nn::Module& model, const ClassData& train, const ClassData& test,
                      const TrainPlan& plan);

// printf into a std::string (registry.cpp).
std::string strf(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace soma::gallery
