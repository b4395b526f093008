#pragma once
// Generated Fashion-MNIST images measured with soma's own CNN classifier, as
// `soma eval-generative` reports them (the metrics themselves: generative_metrics.h):
//
//   Tensor samples = train::load_samples("x.safetensors");    // (n, 1, 28, 28) in [0, 1]
//   train::GenerativeReport r = train::evaluate_generative(samples, {.classifier = ckpt});
//   r.frechet;          // FD of the samples against the test set's features
//   r.floor_frechet;    // the same for n real training images: the best a model can expect
//
// Features are the 128 activations the CNN's last Linear takes (penultimate_features), the
// role Inception's pool features play in FID; the classifier score stands in for the Inception
// score. Images are normalised as the classifier was trained (kFmnistMean, kFmnistStd). The FD
// of n images is biased upwards at small n, hence a floor at the same n.

#include <cstdint>
#include <string>

#include "soma/data/fashion_mnist.h"
#include "soma/tensor.h"
#include "soma/train/generative_metrics.h"

namespace soma::train {

// The tensor "samples" of a safetensors file (what `soma sample --out` writes), checked: float32
// or float64, shape (n, 1, 28, 28) with n >= 2, values in [0, 1]. Returned as float32. Throws
// soma::Error naming the file and what is wrong.
Tensor load_samples(const std::string& path);

// The first n images of a Fashion-MNIST split, (n, 1, 28, 28) float32 in [0, 1] (n <= 0: all).
Tensor fmnist_images(data::datasets::Split split, std::int64_t n = 0,
                     const std::string& root = data::datasets::kFashionMnistRoot);

struct GenerativeEvalOptions {
    std::string classifier;  // a checkpoint of `soma train fmnist --model cnn` (or its best)
    // The real images the samples are compared with (all of them): test (10,000) or train
    // (60,000).
    data::datasets::Split reference = data::datasets::Split::Test;
    // The floor: the FD of as many real images of the other split as there are samples
    // (fewer if the split has fewer). Off when the samples are such real images themselves.
    bool floor = true;
    double threshold = 0.9;  // classifier_score's confidence threshold
    std::string root = data::datasets::kFashionMnistRoot;
};

struct GenerativeReport {
    std::int64_t samples = 0, reference_size = 0;
    double frechet = 0;     // samples vs the reference set
    ClassifierScore score;  // of the samples
    // With options.floor: floor_size real images of the other split vs the reference set.
    std::int64_t floor_size = 0;
    double floor_frechet = 0;
    ClassifierScore test_score;     // of the 10,000 test images (the classifier never saw them)
    double test_pixel_entropy = 0;  // summed_pixel_entropy of the test images, nats per image
};

// images: (n, 1, 28, 28) in [0, 1]. Throws soma::Error if the classifier checkpoint is not
// a Fashion-MNIST cnn.
GenerativeReport evaluate_generative(const Tensor& images, const GenerativeEvalOptions& options);

}  // namespace soma::train
