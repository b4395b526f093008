#include "soma/nn/module.h"

#include <functional>
#include <ostream>
#include <sstream>
#include <unordered_set>

#include "soma/autograd.h"

namespace soma::nn {

void StateDict::insert(const std::string& name, const Tensor& t) {
    bool added = index_.emplace(name, items_.size()).second;
    check(added, "StateDict: duplicate name '", name, "'");
    items_.emplace_back(name, t);
}

const Tensor* StateDict::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &items_[it->second].second;
}

namespace {

// Walks the module tree depth-first, calling the callbacks with dotted names.
class Walker final : public Visitor {
public:
    using TensorFn = std::function<void(const std::string&, Tensor&)>;
    using ModuleFn = std::function<void(const std::string&, Module&)>;
    Walker(TensorFn on_param, TensorFn on_buffer, ModuleFn on_module, bool recurse = true)
        : on_param_(std::move(on_param)),
          on_buffer_(std::move(on_buffer)),
          on_module_(std::move(on_module)),
          recurse_(recurse) {}

    void walk(Module& m, const std::string& prefix) {
        std::string saved = prefix_;
        prefix_ = prefix;
        m.visit(*this);
        prefix_ = saved;
    }
    void param(const std::string& name, Tensor& t) override {
        if (on_param_) on_param_(prefix_ + name, t);
    }
    void buffer(const std::string& name, Tensor& t) override {
        if (on_buffer_) on_buffer_(prefix_ + name, t);
    }
    void module(const std::string& name, Module& m) override {
        if (on_module_) on_module_(prefix_ + name, m);
        if (recurse_) walk(m, prefix_ + name + ".");
    }

private:
    TensorFn on_param_, on_buffer_;
    ModuleFn on_module_;
    bool recurse_;
    std::string prefix_;
};

}  // namespace

HookHandle& HookHandle::operator=(HookHandle&& other) noexcept {
    if (this != &other) {
        remove();
        hooks_ = std::move(other.hooks_);
        id_ = other.id_;
    }
    return *this;
}

void HookHandle::remove() {
    if (auto hooks = hooks_.lock())
        std::erase_if(*hooks, [this](const auto& entry) { return entry.first == id_; });
    hooks_.reset();
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
    check(static_cast<bool>(hook), type_name(), "::register_forward_hook: the hook is empty");
    if (!forward_hooks_)
        forward_hooks_ = std::make_shared<std::vector<std::pair<int, ForwardHook>>>();
    const int id = next_hook_id_++;
    forward_hooks_->emplace_back(id, std::move(hook));
    return HookHandle(forward_hooks_, id);
}

void Module::run_forward_hooks(const Tensor& x, const Tensor& y) {
    // A copy: a hook may remove itself (or others) while running.
    const auto hooks = *forward_hooks_;
    for (const auto& [id, hook] : hooks) hook(*this, x, y);
}

Tensor Module::forward(const Tensor&) {
    fail(type_name(),
         ": this module does not map a single tensor to a tensor; call its own forward");
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() {
    std::vector<std::pair<std::string, Tensor>> out;
    // A module shared between containers (weight tying) lists its parameters once, under the
    // first name, like PyTorch; otherwise optimisers would step them twice.
    std::unordered_set<const TensorImpl*> seen;
    Walker w(
        [&](const std::string& n, Tensor& t) {
            if (t.defined() && seen.insert(t.impl()).second) out.emplace_back(n, t);
        },
        nullptr, nullptr);
    w.walk(*this, "");
    return out;
}

std::vector<Tensor> Module::parameters() {
    std::vector<Tensor> out;
    for (auto& [n, t] : named_parameters()) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() {
    std::vector<std::pair<std::string, Tensor>> out;
    Walker w(
        nullptr,
        [&](const std::string& n, Tensor& t) {
            if (t.defined()) out.emplace_back(n, t);
        },
        nullptr);
    w.walk(*this, "");
    return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_children() {
    std::vector<std::pair<std::string, Module*>> out;
    Walker w(
        nullptr, nullptr, [&](const std::string& n, Module& m) { out.emplace_back(n, &m); }, false);
    w.walk(*this, "");
    return out;
}

std::int64_t Module::num_parameters() {
    std::int64_t n = 0;
    for (auto& t : parameters()) n += t.numel();
    return n;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, child] : named_children()) child->train(on);
}

void Module::zero_grad() {
    for (auto& t : parameters()) t.set_grad(Tensor());
}

StateDict Module::state_dict() {
    StateDict d;
    Walker w(
        [&](const std::string& n, Tensor& t) {
            if (t.defined()) d.insert(n, t);
        },
        [&](const std::string& n, Tensor& t) {
            if (t.defined()) d.insert(n, t);
        },
        nullptr);
    w.walk(*this, "");
    return d;
}

void Module::load_state_dict(const StateDict& dict, bool strict) {
    StateDict own = state_dict();
    std::vector<std::string> missing, unexpected, mismatched;
    for (const auto& [name, t] : own.items()) {
        const Tensor* src = dict.find(name);
        if (!src) {
            missing.push_back(name);
        } else if (src->shape() != t.shape()) {
            mismatched.push_back(name + ": expected " + t.shape().str() + ", got " +
                                 src->shape().str());
        }
    }
    for (const auto& [name, t] : dict.items())
        if (!own.find(name)) unexpected.push_back(name);
    bool bad = !mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()));
    if (bad) {
        std::ostringstream msg;
        msg << "load_state_dict: state does not match " << type_name();
        auto list = [&](const char* what, const std::vector<std::string>& names) {
            if (names.empty()) return;
            msg << "; " << what << ":";
            for (const auto& n : names) msg << " " << n << (&n == &names.back() ? "" : ",");
        };
        list("missing", missing);
        list("unexpected", unexpected);
        list("shape mismatch", mismatched);
        throw Error(msg.str());
    }
    NoGrad ng;
    for (const auto& [name, t] : own.items()) {
        if (const Tensor* src = dict.find(name)) {
            Tensor dst = t;
            dst.copy_(src->to(t.dtype()));
        }
    }
}

namespace {

// 1234567 -> "1,234,567"
std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// PyTorch's repr, plus each leaf layer's parameter count as a trailing comment.
void print_module(std::ostream& os, Module& m, int indent) {
    os << m.type_name() << '(' << m.extra_repr();
    auto children = m.named_children();
    if (!children.empty()) {
        os << '\n';
        for (auto& [name, child] : children) {
            os << std::string(indent + 2, ' ') << '(' << name << "): ";
            print_module(os, *child, indent + 2);
            os << '\n';
        }
        os << std::string(indent, ' ');
    }
    os << ')';
    if (children.empty()) {
        std::int64_t n = m.num_parameters();
        if (n > 0) os << "  # " << grouped(n) << " parameters";
    }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Module& module) {
    // Walking visit() reads the state without changing it; visit is non-const only so that
    // loading can write through the same declaration.
    Module& m = const_cast<Module&>(module);
    print_module(os, m, 0);
    std::int64_t total = 0, trainable = 0;
    for (const auto& t : m.parameters()) {
        total += t.numel();
        if (t.requires_grad()) trainable += t.numel();
    }
    os << "\nTotal parameters: " << grouped(total);
    if (trainable != total) os << " (" << grouped(trainable) << " trainable)";
    return os;
}

}  // namespace soma::nn
