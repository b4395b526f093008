#include "soma/data/fashion_mnist.h"

#include <filesystem>
#include <optional>

#include "soma/data/idx.h"

namespace soma::data::datasets {

namespace {

// The path of `stem` under root, gzip'd (as Debian and Zalando ship it) or already unpacked.
std::optional<std::string> find_file(const std::string& root, const std::string& stem) {
    for (const char* ext : {".gz", ""}) {
        std::filesystem::path p = std::filesystem::path(root) / (stem + ext);
        std::error_code ec;
        if (std::filesystem::is_regular_file(p, ec)) return p.string();
    }
    return std::nullopt;
}

std::string prefix(Split split) { return split == Split::Train ? "train" : "t10k"; }

Example load(const std::string& root, Split split) {
    const std::string images = prefix(split) + "-images-idx3-ubyte";
    const std::string labels = prefix(split) + "-labels-idx1-ubyte";
    auto images_path = find_file(root, images), labels_path = find_file(root, labels);
    if (!images_path || !labels_path) {
        const std::string missing =
            (std::filesystem::path(root) / ((images_path ? labels : images) + ".gz")).string();
        fail("FashionMNIST: ", missing,
             " not found. Install the data set with `apt-get install dataset-fashion-mnist` "
             "(Debian; it unpacks to ",
             kFashionMnistRoot, "), or pass as root the folder holding ", images, ".gz, ", labels,
             ".gz and the files of the other split");
    }
    Example e = read_idx_pair(*images_path, *labels_path);
    const auto& s = e.input.shape();
    check(s[2] == 28 && s[3] == 28, "FashionMNIST: ", *images_path, " holds images of ", s[2], "x",
          s[3], " pixels, expected 28x28");
    return e;
}

}  // namespace

FashionMNIST::FashionMNIST(const std::string& root, Split split)
    : FashionMNIST(load(root, split)) {}

FashionMNIST::FashionMNIST(Example e) : TensorDataset(std::move(e.input), std::move(e.target)) {}

const std::vector<std::string>& FashionMNIST::classes() {
    static const std::vector<std::string> names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

bool FashionMNIST::available(const std::string& root, Split split) {
    return find_file(root, prefix(split) + "-images-idx3-ubyte") &&
           find_file(root, prefix(split) + "-labels-idx1-ubyte");
}

}  // namespace soma::data::datasets
