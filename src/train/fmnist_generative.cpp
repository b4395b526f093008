// Samples and real Fashion-MNIST images through the CNN classifier: FD, classifier score and
// their floors.

#include "soma/train/fmnist_generative.h"

#include <algorithm>
#include <cmath>

#include "soma/autograd.h"
#include "soma/data/transforms.h"
#include "soma/error.h"
#include "soma/io/safetensors.h"
#include "soma/train/fmnist.h"

namespace soma::train {

namespace {

using data::datasets::Split;

// What the classifier takes: the training set's normalisation. images: (N, 1, 28, 28).
Tensor normalized(const Tensor& images) {
    autograd::NoGrad no_grad;
    return data::normalize(images, {kFmnistMean}, {kFmnistStd});
}

// The classifier of `path`, which must be the cnn: FD values of different feature networks
// do not compare, so eval-generative fixes one.
std::shared_ptr<nn::Sequential> load_cnn(const std::string& path) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    auto it = meta.find("model");
    check(it != meta.end(), "evaluate_generative: '", path,
          "' is not a Fashion-MNIST classifier of soma (its metadata names no model); train one "
          "with `soma train fmnist --model cnn`");
    check(it->second == "cnn", "evaluate_generative: '", path, "' holds a '", it->second,
          "' model; the features are those of the Fashion-MNIST cnn (`soma train fmnist --model "
          "cnn`)");
    std::string name = "cnn";
    return load_fmnist_model(path, name);
}

}  // namespace

Tensor load_samples(const std::string& path) {
    const io::SafetensorsFile file = io::load_safetensors(path);
    const Tensor* found = file.tensors.find("samples");
    if (found == nullptr) {
        std::string names;
        for (const auto& [name, t] : file.tensors.items())
            names += (names.empty() ? "" : ", ") + name;
        fail("load_samples: '", path, "' has no tensor named 'samples' (it has: ",
             names.empty() ? std::string("none") : names, ")");
    }
    const Tensor& s = *found;
    check(s.dtype() == kFloat32 || s.dtype() == kFloat64, "load_samples: '", path,
          "': 'samples' is ", dtype_name(s.dtype()), ", expected float32 images");
    check(s.dim() == 4 && s.size(1) == 1 && s.size(2) == 28 && s.size(3) == 28, "load_samples: '",
          path, "': 'samples' has shape ", s.shape(), ", expected (n, 1, 28, 28)");
    check(s.size(0) >= 2, "load_samples: '", path, "': ", s.size(0),
          " images; a covariance needs at least 2");
    const Tensor images = s.to(kFloat32).contiguous();
    const float* p = images.data<float>();
    for (std::int64_t i = 0; i < images.numel(); ++i)
        check(p[i] >= 0 && p[i] <= 1, "load_samples: '", path, "': image ", i / 784, " holds ",
              p[i], "; values must be in [0, 1] (sigmoid outputs, not logits)");
    return images;
}

Tensor fmnist_images(Split split, std::int64_t n, const std::string& root) {
    const data::datasets::FashionMNIST set(root, split);
    const Tensor all = set.images();  // a handle: shares the images beyond set's lifetime
    return n <= 0 || n >= all.size(0) ? all : all.narrow(0, 0, n);
}

GenerativeReport evaluate_generative(const Tensor& images, const GenerativeEvalOptions& o) {
    check(images.dim() == 4 && images.size(1) == 1 && images.size(2) == 28 &&
              images.size(3) == 28 && images.size(0) >= 2,
          "evaluate_generative: images must be (n, 1, 28, 28) with n >= 2, got ", images.shape());
    auto model = load_cnn(o.classifier);
    GenerativeReport r;
    r.samples = images.size(0);

    const Tensor reference = fmnist_normalized(o.reference, o.root)->inputs();
    r.reference_size = reference.size(0);
    const FeaturesAndLogits real = features_and_logits(*model, reference);
    const GaussianStats real_stats = gaussian_stats(real.features);

    const FeaturesAndLogits fake = features_and_logits(*model, normalized(images));
    r.frechet = frechet_distance(real_stats, gaussian_stats(fake.features));
    r.score = classifier_score(fake.logits, o.threshold);

    const Split other = o.reference == Split::Test ? Split::Train : Split::Test;
    Tensor test_logits = o.reference == Split::Test ? real.logits : Tensor();
    if (o.floor) {
        const Tensor all = fmnist_normalized(other, o.root)->inputs();
        r.floor_size = std::min(r.samples, all.size(0));
        const FeaturesAndLogits floor = features_and_logits(*model, all.narrow(0, 0, r.floor_size));
        r.floor_frechet = frechet_distance(real_stats, gaussian_stats(floor.features));
        if (other == Split::Test && r.floor_size == all.size(0)) test_logits = floor.logits;
    }
    if (!test_logits.defined())
        test_logits =
            features_and_logits(*model, fmnist_normalized(Split::Test, o.root)->inputs()).logits;
    r.test_score = classifier_score(test_logits, o.threshold);
    r.test_pixel_entropy = summed_pixel_entropy(fmnist_images(Split::Test, 0, o.root));
    return r;
}

}  // namespace soma::train
