#pragma once
// Module: the base of every layer. A module declares its state once, in visit(): parameters,
// buffers (state that is saved but not trained, e.g. running statistics) and child modules.
// Everything else (parameters(), named_parameters(), train()/eval(), zero_grad(), state_dict(),
// loading, printing) is derived from that one declaration.
//
//   class Linear : public Module {
//       void visit(Visitor& v) override { v.param("weight", weight); v.param("bias", bias); }
//   };

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "soma/tensor.h"

namespace soma::nn {

class Module;

// Called after a module's operator() with its input and output (PyTorch's forward hooks): to
// look at activations (train::check's per-layer statistics) without changing the model.
using ForwardHook = std::function<void(Module& module, const Tensor& input, const Tensor& output)>;

// Removes its hook when destroyed or on remove() (PyTorch's RemovableHandle); harmless when the
// module is gone first.
class HookHandle {
public:
    HookHandle() = default;
    HookHandle(std::weak_ptr<std::vector<std::pair<int, ForwardHook>>> hooks, int id)
        : hooks_(std::move(hooks)), id_(id) {}
    HookHandle(HookHandle&& other) noexcept : hooks_(std::move(other.hooks_)), id_(other.id_) {}
    HookHandle& operator=(HookHandle&& other) noexcept;
    HookHandle(const HookHandle&) = delete;
    HookHandle& operator=(const HookHandle&) = delete;
    ~HookHandle() { remove(); }
    void remove();

private:
    std::weak_ptr<std::vector<std::pair<int, ForwardHook>>> hooks_;
    int id_ = 0;
};

// Sees every piece of state a module declares, in declaration order.
class Visitor {
public:
    virtual ~Visitor() = default;
    virtual void param(const std::string& name, Tensor& t) = 0;
    virtual void buffer(const std::string& name, Tensor& t) { (void)name, (void)t; }
    virtual void module(const std::string& name, Module& m) = 0;
};

// Named tensors in declaration order (like PyTorch's OrderedDict state_dict). insert and find
// take O(1) through a name index, so loading a file of n tensors costs O(n), not O(n^2).
class StateDict {
public:
    // Throws soma::Error on a name already present.
    void insert(const std::string& name, const Tensor& t);
    const Tensor* find(const std::string& name) const;
    const std::vector<std::pair<std::string, Tensor>>& items() const& { return items_; }
    // On a temporary (`for (auto& [n, t] : m.state_dict().items())`) the items are moved out,
    // so the loop does not read a destroyed dict.
    std::vector<std::pair<std::string, Tensor>> items() && {
        index_.clear();
        return std::move(items_);
    }
    std::size_t size() const { return items_.size(); }

private:
    std::vector<std::pair<std::string, Tensor>> items_;
    std::unordered_map<std::string, std::size_t> index_;  // name -> position in items_
};

class Module {
public:
    Module() = default;
    // A copy shares nothing with the original but its settings: hooks stay with the original.
    Module(const Module& other) : training_(other.training_) {}
    Module& operator=(const Module& other) {
        training_ = other.training_;
        return *this;
    }
    virtual ~Module() = default;

    // The module's own state; called by everything below. A module without state does nothing.
    virtual void visit(Visitor& v) { (void)v; }
    // The layer's name as printed ("Linear") and its settings ("in_features=2, out_features=8").
    virtual std::string type_name() const = 0;
    virtual std::string extra_repr() const { return ""; }

    // Modules that map one tensor to one tensor implement this (Sequential relies on it);
    // others offer their own forward signatures and leave it throwing.
    virtual Tensor forward(const Tensor& x);
    // forward(x), then the forward hooks (containers call their children this way).
    Tensor operator()(const Tensor& x) {
        Tensor y = forward(x);
        if (forward_hooks_ && !forward_hooks_->empty()) run_forward_hooks(x, y);
        return y;
    }
    // Runs `hook` after every operator() call of this module until the handle goes.
    [[nodiscard]] HookHandle register_forward_hook(ForwardHook hook);

    std::vector<Tensor> parameters();
    // Dotted names ("0.weight", "encoder.fc1.bias"); a tensor reached twice (a module shared
    // between containers) is listed once, under its first name, like PyTorch.
    std::vector<std::pair<std::string, Tensor>> named_parameters();
    std::vector<std::pair<std::string, Tensor>> named_buffers();
    std::vector<std::pair<std::string, Module*>> named_children();
    std::int64_t num_parameters();

    // Training mode changes what some layers do (dropout, batch norm); set on every child too.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    // Forgets accumulated gradients (sets them undefined, like set_to_none=True).
    void zero_grad();

    // Converts every parameter and floating buffer to `dtype` (float32 or float64) in place,
    // like PyTorch's model.to(torch.float64): the tensors keep their identity (every handle to
    // them, tied weights included, sees the new dtype), parameters stay leaves and keep
    // requires_grad, gradients are dropped; int64 buffers are left alone. Build optimizers
    // after converting. to_double() and to_float() stand for Python's model.double() and
    // model.float() (`double` and `float` are C++ keywords). Returns *this.
    Module& to(DType dtype);
    Module& to_double() { return to(kFloat64); }
    Module& to_float() { return to(kFloat32); }

    // Parameters and buffers under dotted names ("encoder.fc1.weight"); the tensors are shared.
    StateDict state_dict();
    // Copies values in. Strict: names and shapes must match exactly; the error lists every
    // missing, unexpected and mismatched entry.
    void load_state_dict(const StateDict& dict, bool strict = true);

protected:
    bool training_ = true;

private:
    void run_forward_hooks(const Tensor& x, const Tensor& y);
    std::shared_ptr<std::vector<std::pair<int, ForwardHook>>> forward_hooks_;  // made on demand
    int next_hook_id_ = 0;
};

// Prints the module tree like PyTorch's repr, each leaf layer followed by its parameter count
// ("  # 24 parameters"), then a last line "Total parameters: 33" (no trailing newline).
std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace soma::nn
