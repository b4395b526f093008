// PyTorch's VAE example (github.com/pytorch/examples, vae/main.py) in soma, on Fashion-MNIST:
// the twin of tools/vae_pytorch.py, printing the same numbers.
//
//   build/examples/vae_fmnist [epochs=10] [threads=1] [seed=1]
//
// 784 -> 400 ReLU -> (mu, log variance) in 20-D -> 400 ReLU -> 784 logits; binary
// cross-entropy summed over the pixels (from the logits) + KL, Adam 1e-3, batch 128, the
// training set shuffled every epoch; images are pixels / 255. After each epoch: the mean
// training loss and the test loss per image (one sample of z per image, as the example's
// test loop), then the wall time.

#include <soma/autograd.h>
#include <soma/data/fashion_mnist.h>
#include <soma/models/vae.h>
#include <soma/ops.h>
#include <soma/optim/adam.h>
#include <soma/threading.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace soma;

int main(int argc, char** argv) {
    const int epochs = argc > 1 ? std::stoi(argv[1]) : 10;
    const int threads = argc > 2 ? std::stoi(argv[2]) : 1;
    const std::uint64_t seed = argc > 3 ? std::stoull(argv[3]) : 1;
    set_num_threads(threads);

    using data::datasets::FashionMNIST;
    const FashionMNIST train_set,
        test_set(data::datasets::kFashionMnistRoot, data::datasets::Split::Test);
    const Tensor x_train = train_set.images();  // (60000, 1, 28, 28) in [0, 1]
    const Tensor x_test = test_set.images();    // (10000, 1, 28, 28)
    const std::int64_t n_train = x_train.size(0), n_test = x_test.size(0), batch = 128;

    Generator gen(seed);
    auto vae = models::mlp_vae(
        {.input_dim = 784, .hidden = {400}, .vae = {.latent_dim = 20}, .gen = &gen});
    optim::Adam adam(vae->parameters(), {.lr = 1e-3});

    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double test_loss = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        vae->train();
        const std::vector<std::int64_t> order = randperm(n_train, &gen);
        double total = 0;
        for (std::int64_t i = 0; i < n_train; i += batch) {
            const std::int64_t b = std::min(batch, n_train - i);
            const Tensor idx = from_vector(
                std::vector<std::int64_t>(order.begin() + i, order.begin() + i + b), {b});
            const Tensor x = index_select(x_train, 0, idx);  // (b, 1, 28, 28)
            // loss() is the batch mean; the example sums over the batch, so its lr meets a
            // gradient b times larger. Adam is invariant to that scale (up to eps).
            models::VAELoss l = vae->loss(x, vae->forward(x, &gen));
            adam.zero_grad();
            l.loss.backward();
            adam.step();
            total += l.loss.item() * static_cast<double>(b);
        }
        vae->eval();
        double test_total = 0;
        {
            autograd::NoGrad no_grad;
            for (std::int64_t i = 0; i < n_test; i += batch) {
                const Tensor x = x_test.narrow(0, i, std::min(batch, n_test - i));
                test_total += vae->loss(x, vae->forward(x, &gen)).loss.item() *
                              static_cast<double>(x.size(0));
            }
        }
        test_loss = test_total / static_cast<double>(n_test);
        std::printf("epoch %d: train loss %.2f, test loss %.2f per image (%.1f s)\n", epoch,
                    total / static_cast<double>(n_train), test_loss, seconds());
        std::fflush(stdout);
    }
    std::printf(
        "soma vae: %d epochs, final test loss %.2f per image, %.1f s on %d thread(s), "
        "seed %llu\n",
        epochs, test_loss, seconds(), threads, static_cast<unsigned long long>(seed));
    return 0;
}
