// Writes the checkpoint harness's seed corpus: real checkpoints of CheckpointTarget after a few
// training steps, each behind the harness's flags byte. Run from the repository root:
//   build-fuzz/fuzz/seed_checkpoint tests/fuzz/corpus/checkpoint

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "checkpoint_target.h"
#include "soma/io/checkpoint.h"
#include "soma/nn/loss.h"
#include "soma/tensor.h"

namespace {

void write_seed(const std::string& dir, const std::string& name, unsigned char flags,
                CheckpointTarget& t, int optimizers, bool rng) {
    const std::string tmp = dir + "/" + name + ".safetensors";
    std::vector<const soma::optim::Optimizer*> opts;
    for (soma::optim::Optimizer* o : t.optimizers(optimizers)) opts.push_back(o);
    soma::io::save_checkpoint(tmp, *t.model, opts, {.epoch = 3, .step = 12, .extra = {{"a", "b"}}},
                              rng ? &t.rng : nullptr);
    std::ifstream in(tmp, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(tmp.c_str());
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.put(static_cast<char>(flags));
    out << bytes;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seed_checkpoint DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    CheckpointTarget t;
    soma::Tensor x = soma::randn({8, 3}, &t.rng);
    soma::Tensor y = soma::randn({8, 2}, &t.rng);
    for (int step = 0; step < 3; ++step) {  // so that the optimizers hold moments
        t.adam.zero_grad();
        t.sgd.zero_grad();
        soma::nn::mse_loss(t.model->forward(x), y).backward();
        t.adam.step();
        t.sgd.step();
    }
    write_seed(dir, "two_optimizers_rng", 2 | 4, t, 2, true);
    write_seed(dir, "adam_only", 1, t, 1, false);
    write_seed(dir, "model_only", 0, t, 0, false);
    return 0;
}
