#pragma once
// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grey images of clothes in 10 classes,
// 60,000 for training and 10,000 for testing. Debian ships it in the package
// dataset-fashion-mnist, under /usr/share/datasets/fashion-mnist.
//
//   data::datasets::FashionMNIST train;                                   // the default root
//   data::datasets::FashionMNIST test(data::datasets::kFashionMnistRoot,
//                                     data::datasets::Split::Test);
//   train.images();  // (60000, 1, 28, 28) float32 in [0, 1]
//   train.labels();  // (60000) int64 in [0, 10)

#include <string>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data::datasets {

inline constexpr const char* kFashionMnistRoot = "/usr/share/datasets/fashion-mnist";

enum class Split { Train, Test };

class FashionMNIST : public TensorDataset {
public:
    // Reads <root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. When the files are
    // missing the error says how to install them.
    explicit FashionMNIST(const std::string& root = kFashionMnistRoot, Split split = Split::Train);

    const Tensor& images() const { return inputs(); }
    const Tensor& labels() const { return targets(); }

    // "T-shirt/top", "Trouser", ..., "Ankle boot", indexed by label.
    static const std::vector<std::string>& classes();
    // Whether both files of `split` are under `root` (tests skip without them).
    static bool available(const std::string& root = kFashionMnistRoot, Split split = Split::Train);

private:
    explicit FashionMNIST(Example loaded);
};

}  // namespace soma::data::datasets
