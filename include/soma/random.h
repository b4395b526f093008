#pragma once
// Generator: a seedable source of random numbers (xoshiro256**, seeded through splitmix64).
// Same seed, same numbers, on every machine: the transforms to floats are our own, not the
// implementation-defined std:: distributions.

#include <array>
#include <cstdint>
#include <mutex>

namespace soma {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 5489);

    void seed(std::uint64_t s);
    std::uint64_t next_u64();
    double uniform();       // [0, 1) with 53 random bits
    float uniform_float();  // [0, 1) with 24 random bits
    double normal();        // standard normal (Box-Muller, caches the second value)
    std::int64_t randint(std::int64_t low, std::int64_t high);  // [low, high), unbiased

    // The complete state, for checkpoints.
    struct State {
        std::array<std::uint64_t, 4> s;
        bool has_spare;
        double spare;
    };
    State state() const { return {s_, has_spare_, spare_}; }
    void set_state(const State& st);

private:
    std::array<std::uint64_t, 4> s_{};
    bool has_spare_ = false;
    double spare_ = 0;
};

// The generator used when none is passed explicitly. A Generator itself has no lock (drawing is
// a few instructions per number); the default one is shared by every thread, so soma's random
// functions (rand, randn, uniform, normal, randint, bernoulli, randperm, and dropout and the
// nn::init functions built on them) hold default_generator_mutex() while they draw from it,
// once per tensor, and manual_seed holds it too: they may be called from several threads at
// once. Code that calls default_generator() directly from several threads must hold the mutex
// as well, or give each thread its own Generator (which needs no lock).
Generator& default_generator();
std::mutex& default_generator_mutex();
// Seeds the default generator (like torch.manual_seed).
void manual_seed(std::uint64_t seed);

}  // namespace soma
