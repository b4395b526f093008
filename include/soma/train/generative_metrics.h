#pragma once
// Measures of generated images that need no Inception weights: the quantities behind FID and
// the Inception score, computed on any feature extractor and classifier (soma's own
// Fashion-MNIST CNN in `soma eval-generative`, train/fmnist_generative.h), and the entropy
// floor of a Bernoulli likelihood.
//
//   double fd = train::frechet_distance(real_features, fake_features);   // (N, D), (M, D)
//   train::ClassifierScore s = train::classifier_score(logits);          // (N, classes)
//   Tensor f = train::penultimate_features(classifier, images);          // (N, D)
//   double h = train::summed_pixel_entropy(images);                      // nats per image
//
// Numbers from different feature extractors are not comparable (an FD on the CNN's features
// is not an FID); compare a model against the floor the same extractor gives real images.

#include <cstdint>

#include "soma/nn/container.h"
#include "soma/tensor.h"

namespace soma::train {

// The Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017):
//   ||μa − μb||² + Tr(Σa + Σb − 2 (Σa Σb)^½),
// with the unbiased covariances (divided by N − 1, as numpy.cov and pytorch-fid). Computed in
// float64 whatever the features' dtype. features_a: (N, D), features_b: (M, D), N, M >= 2.
// Throws soma::Error for other shapes and non-finite features.
double frechet_distance(const Tensor& features_a, const Tensor& features_b);

// Per-dimension mean and unbiased covariance of (N, D) features, N >= 2, in float64: what
// frechet_distance fits. Reused when one side (the real images) is compared many times.
struct GaussianStats {
    Tensor mean;  // (D) float64
    Tensor cov;   // (D, D) float64
};
GaussianStats gaussian_stats(const Tensor& features);
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

// The Inception score's recipe on any classifier (Salimans et al. 2016):
//   score = exp(E_x KL(p(y|x) || p(y))),  p(y) = E_x p(y|x),
// between 1 (every image gets the same distribution) and the number of classes (each image
// one class for sure, the classes equally often). confident: the fraction of images whose
// most likely class has probability > threshold. logits: (N, classes), N >= 1.
struct ClassifierScore {
    double score = 0;
    double confident = 0;
};
ClassifierScore classifier_score(const Tensor& logits, double threshold = 0.9);

// The activations a Sequential classifier's last layer (a Linear) takes as input: every layer
// but the last, run in evaluation mode (dropout off, batch norm's running statistics) without
// gradients, batch_size images at a time. For the Fashion-MNIST CNN (models/classifier.h) the
// 128 ReLU units after the hidden Linear. images: (N, ...) as the model takes them -> (N, D).
// Throws soma::Error if the last layer is not an nn::Linear. The mode the model was in is
// restored.
Tensor penultimate_features(nn::Sequential& model, const Tensor& images,
                            std::int64_t batch_size = 1000);
// The same pass that also returns the last layer's output: {features (N, D), logits (N, C)}.
struct FeaturesAndLogits {
    Tensor features, logits;
};
FeaturesAndLogits features_and_logits(nn::Sequential& model, const Tensor& images,
                                      std::int64_t batch_size = 1000);

// The mean over images of Σ_pixels −p log p − (1 − p) log(1 − p), in nats: the entropy of the
// images' pixels read as independent Bernoulli probabilities. A decoder that predicts each
// pixel exactly still pays this in summed binary cross-entropy, so no VAE with a summed-BCE
// loss can reach a test loss below it (Fashion-MNIST's test set: 189.86 nats per image).
// images: (N, ...) with values in [0, 1], N >= 1.
double summed_pixel_entropy(const Tensor& images);

}  // namespace soma::train
