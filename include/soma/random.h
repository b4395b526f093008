#pragma once
// Generator: a seedable source of random numbers (xoshiro256**, seeded through splitmix64).
// Same seed, same numbers, on every machine: the transforms to floats are our own, not the
// implementation-defined std:: distributions.

#include <array>
#include <cstdint>

namespace soma {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 5489);

    void seed(std::uint64_t s);
    std::uint64_t next_u64();
    double uniform();                     // [0, 1) with 53 random bits
    float uniform_float();                // [0, 1) with 24 random bits
    double normal();                      // standard normal (Box-Muller, caches the second value)
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

// The generator used when none is passed explicitly.
Generator& default_generator();
// Seeds the default generator (like torch.manual_seed).
void manual_seed(std::uint64_t seed);

}  // namespace soma
