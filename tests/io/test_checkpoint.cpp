// Checkpoints restore model, optimizer and random state bit for bit, so a resumed run continues
// exactly as the uninterrupted one would have.

#include <gtest/gtest.h>

#include "io/io_test_util.h"
#include "soma/io/checkpoint.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/sgd.h"

namespace soma::io {
namespace {

using test::same_bits;

// Two layers and an int64 buffer, so checkpoints cover children, parameters and buffers.
class Net : public nn::Module {
public:
    explicit Net(std::uint64_t seed)
        : gen_(seed),
          fc1({.in = 3, .out = 4, .gen = &gen_}),
          fc2({.in = 4, .out = 2, .gen = &gen_}) {
        seen = zeros({1}, kInt64);
    }
    std::string type_name() const override { return "Net"; }
    void visit(nn::Visitor& v) override {
        v.module("fc1", fc1);
        v.module("fc2", fc2);
        v.buffer("seen", seen);
    }
    Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))); }

    Generator gen_;
    nn::Linear fc1, fc2;
    Tensor seen;
};

// One training step on a batch drawn from `rng` (so the RNG state matters for what follows).
void train_step(Net& net, optim::Optimizer& opt, Generator& rng) {
    Tensor x = randn({8, 3}, &rng), y = randn({8, 2}, &rng);
    rng.normal();  // leaves a cached spare deviate on every other call
    Tensor d = net(x) - y;
    opt.zero_grad();
    mean(d * d).backward();
    opt.step();
    net.seen.data<std::int64_t>()[0] += 8;
}

void expect_same_state(nn::StateDict a, nn::StateDict b) {
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : a.items()) {
        ASSERT_NE(b.find(name), nullptr) << name;
        EXPECT_TRUE(same_bits(t, *b.find(name))) << name;
    }
}

TEST(Checkpoint, ResumedRunMatchesUninterruptedRun) {
    test::TempDir dir;
    std::string path = dir.file("ckpt.safetensors");
    Net net(1);
    optim::Adam opt(net.parameters(), {.lr = 0.01, .weight_decay = 1e-3, .amsgrad = true});
    Generator rng(42);
    for (int i = 0; i < 3; ++i) train_step(net, opt, rng);
    save_checkpoint(path, net, &opt, {.epoch = 2, .step = 3, .extra = {{"loss", "0.25"}}}, &rng);

    Net net2(99);  // different weights, fresh optimizer, different generator
    optim::Adam opt2(net2.parameters(), {.lr = 0.5, .weight_decay = 1e-3, .amsgrad = true});
    Generator rng2(7);
    CheckpointInfo info = load_checkpoint(path, net2, &opt2, &rng2);
    EXPECT_EQ(info.epoch, 2);
    EXPECT_EQ(info.step, 3);
    EXPECT_EQ(info.extra, (Metadata{{"loss", "0.25"}}));
    expect_same_state(net.state_dict(), net2.state_dict());
    expect_same_state(opt.state_dict(), opt2.state_dict());
    EXPECT_EQ(opt2.lr(), 0.01);
    EXPECT_EQ(opt2.steps(), 3);
    Generator::State s = rng.state(), s2 = rng2.state();
    EXPECT_EQ(s.s, s2.s);
    EXPECT_EQ(s.has_spare, s2.has_spare);
    EXPECT_EQ(s.spare, s2.spare);

    for (int i = 0; i < 2; ++i) {
        train_step(net, opt, rng);
        train_step(net2, opt2, rng2);
    }
    expect_same_state(net.state_dict(), net2.state_dict());
    expect_same_state(opt.state_dict(), opt2.state_dict());
}

TEST(Checkpoint, SpareDeviateSurvives) {
    test::TempDir dir;
    std::string path = dir.file("c.safetensors");
    Net net(1);
    Generator rng(5);
    rng.normal();  // now a spare is cached
    ASSERT_TRUE(rng.state().has_spare);
    save_checkpoint(path, net, nullptr, {}, &rng);
    Generator back(0);
    load_checkpoint(path, net, nullptr, &back);
    EXPECT_EQ(back.normal(), rng.normal());
    EXPECT_EQ(back.next_u64(), rng.next_u64());
}

TEST(Checkpoint, IsAPlainSafetensorsFile) {
    test::TempDir dir;
    std::string path = dir.file("c.safetensors");
    Net net(1);
    optim::SGD opt(net.parameters(), {.lr = 0.1, .momentum = 0.9});
    Generator rng(3);
    train_step(net, opt, rng);
    save_checkpoint(path, net, &opt, {.epoch = 1, .step = 1}, &rng);
    SafetensorsFile f = load_safetensors(path);
    EXPECT_NE(f.tensors.find("model.fc1.weight"), nullptr);
    EXPECT_NE(f.tensors.find("model.seen"), nullptr);
    EXPECT_NE(f.tensors.find("optim.momentum_buffer.0"), nullptr);
    EXPECT_EQ(f.metadata.at("soma.format"), "checkpoint");
    EXPECT_EQ(f.metadata.at("soma.optimizer"), "SGD");
    EXPECT_EQ(f.metadata.at("soma.rng.s0"), std::to_string(rng.state().s[0]));
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Checkpoint, RefusesMismatchesAndChangesNothing) {
    test::TempDir dir;
    std::string path = dir.file("c.safetensors");
    Net net(1);
    optim::Adam adam(net.parameters(), {});
    Generator rng(3);
    train_step(net, adam, rng);
    save_checkpoint(path, net, &adam, {}, nullptr);

    Net other(2);
    nn::StateDict before, current = other.state_dict();
    for (const auto& [name, t] : current.items()) before.insert(name, t.clone());

    optim::SGD sgd(other.parameters(), {});
    EXPECT_NE(error_of([&] {
                  load_checkpoint(path, other, &sgd);
              }).find("holds optimizer state of type Adam, not SGD"),
              std::string::npos);
    Generator g;
    EXPECT_NE(error_of([&] {
                  load_checkpoint(path, other, nullptr, &g);
              }).find("holds no random generator state"),
              std::string::npos);
    // An optimizer over fewer parameters refuses its state after the model was loaded: the model
    // is put back.
    optim::Adam partial({other.fc1.weight}, {});
    EXPECT_NE(error_of([&] { load_checkpoint(path, other, &partial); }).find("load_state_dict"),
              std::string::npos);
    expect_same_state(before, other.state_dict());

    nn::Linear wrong({.in = 3, .out = 4});
    EXPECT_NE(error_of([&] { load_checkpoint(path, wrong); }).find("missing"), std::string::npos);

    // The caller may ignore the optimizer state in the file.
    load_checkpoint(path, other);
    expect_same_state(net.state_dict(), other.state_dict());
}

// load_checkpoint_bytes (the fuzzing harness's entry point) restores what the file loader does
// and names the buffer in its errors.
TEST(Checkpoint, LoadsFromBytesInMemory) {
    test::TempDir dir;
    std::string path = dir.file("c.safetensors");
    Net net(1);
    optim::Adam adam(net.parameters(), {});
    Generator rng(3);
    train_step(net, adam, rng);
    save_checkpoint(path, net, &adam, {.epoch = 2, .step = 5}, &rng);
    const std::string bytes = test::read_bytes(path);

    Net other(2);
    optim::Adam other_adam(other.parameters(), {});
    Generator other_rng(9);
    CheckpointInfo info = load_checkpoint_bytes(bytes, "ckpt", other, {&other_adam}, &other_rng);
    EXPECT_EQ(info.epoch, 2);
    EXPECT_EQ(info.step, 5);
    expect_same_state(net.state_dict(), other.state_dict());
    expect_same_state(adam.state_dict(), other_adam.state_dict());
    EXPECT_EQ(rng.next_u64(), other_rng.next_u64());

    const std::string msg = error_of(
        [&] { load_checkpoint_bytes(bytes.substr(0, bytes.size() - 3), "ckpt", other, {}); });
    EXPECT_NE(msg.find("'ckpt'"), std::string::npos) << msg;
}

TEST(Checkpoint, ReservedKeysAndPlainFiles) {
    test::TempDir dir;
    Net net(1);
    EXPECT_NE(error_of([&] {
                  save_checkpoint(dir.file("c"), net, nullptr, {.extra = {{"soma.epoch", "1"}}});
              }).find("is reserved"),
              std::string::npos);
    save_module(net, dir.file("weights.safetensors"));
    EXPECT_NE(error_of([&] {
                  load_checkpoint(dir.file("weights.safetensors"), net);
              }).find("not a soma checkpoint"),
              std::string::npos);
}

}  // namespace
}  // namespace soma::io
