#pragma once
// Containers and shape-only modules.
//
//   nn::Sequential net{std::make_shared<nn::Linear>(nn::LinearOptions{.in = 2, .out = 8}),
//                      std::make_shared<nn::Tanh>(),
//                      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 8, .out = 1})};
//   net.push_back(std::make_shared<nn::Sigmoid>());
//   Tensor y = net(x);                        // each module's forward, in order
//   auto& fc = net.at<nn::Linear>(0);         // typed access; net[0] is a Module&
//
// Children are named "0", "1", ... as in PyTorch, so parameters are "0.weight", "2.bias".
// Modules are held by shared_ptr: the same module may sit in several containers (its
// parameters are then shared), and copying a Sequential shares its children.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "soma/nn/module.h"

namespace soma::nn {

// Holds modules in a list, named "0", "1", ... like torch.nn.ModuleList; it has no forward of
// its own (the owner calls its children, with whatever arguments they take).
//
//   nn::ModuleList blocks;
//   blocks.push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 4}));
//   Tensor y = blocks.at<nn::Linear>(0)(x);
class ModuleList : public Module {
public:
    ModuleList() = default;
    ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);
    explicit ModuleList(std::vector<std::shared_ptr<Module>> modules);

    void push_back(std::shared_ptr<Module> module);

    std::string type_name() const override { return "ModuleList"; }
    void visit(Visitor& v) override;

    std::size_t size() const { return modules_.size(); }
    bool empty() const { return modules_.empty(); }
    // Negative indices count from the end, like net[-1] in PyTorch.
    Module& operator[](std::int64_t i) const { return *ptr(i); }
    const std::shared_ptr<Module>& ptr(std::int64_t i) const;
    // The i-th module as an M; throws soma::Error if it is something else.
    template <class M>
    M& at(std::int64_t i) const {
        auto* m = dynamic_cast<M*>(ptr(i).get());
        check(m != nullptr, type_name(), "::at: module ", i, " is a ", ptr(i)->type_name());
        return *m;
    }

protected:
    std::vector<std::shared_ptr<Module>> modules_;
};

// A ModuleList whose forward chains its children's.
class Sequential : public ModuleList {
public:
    using ModuleList::ModuleList;

    // Chains Module::forward through every child; an empty Sequential returns x.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Sequential"; }
};

// Returns its input unchanged.
class Identity : public Module {
public:
    Tensor forward(const Tensor& x) override { return x; }
    std::string type_name() const override { return "Identity"; }
};

// Flattens dims start_dim..end_dim into one; the default keeps the batch dimension:
// (N, C, H, W) -> (N, C*H*W).
class Flatten : public Module {
public:
    explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
        : start_dim(start_dim), end_dim(end_dim) {}
    Tensor forward(const Tensor& x) override { return x.flatten(start_dim, end_dim); }
    std::string type_name() const override { return "Flatten"; }
    std::string extra_repr() const override;
    std::int64_t start_dim, end_dim;
};

// Flatten's inverse along dim 1, like torch.nn.Unflatten(1, sizes): (N, prod(sizes)) ->
// (N, *sizes), e.g. a decoder's (N, 3136) features into (N, 64, 7, 7) maps.
class Unflatten : public Module {
public:
    explicit Unflatten(std::vector<std::int64_t> sizes);
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Unflatten"; }
    std::string extra_repr() const override;
    std::vector<std::int64_t> sizes;
};

}  // namespace soma::nn
