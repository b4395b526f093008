#include "soma/optim/optimizer.h"

#include <cctype>
#include <set>
#include <sstream>

#include "soma/autograd.h"
#include "soma/storage.h"

namespace soma::optim {

Tensor step_counter(std::int64_t n) {
    Tensor t = Tensor::empty({}, kInt64);
    *t.data<std::int64_t>() = n;
    return t;
}

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    check(lr >= 0, "optimizer: learning rate must be >= 0, got ", lr);
    std::set<const TensorImpl*> seen;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        check(p.defined(), "optimizer: parameter ", i, " is undefined");
        check(is_floating(p.dtype()), "optimizer: parameter ", i, " ", p.shape(), " is ", p.dtype(),
              "; only floating tensors can be optimised");
        check(p.is_leaf(), "optimizer: parameter ", i, " ", p.shape(),
              " is the result of an op, not a leaf (detach it or optimise its source)");
        check(seen.insert(p.impl()).second, "optimizer: parameter ", i, " ", p.shape(),
              " appears more than once");
    }
}

void Optimizer::set_lr(double lr) {
    check(lr >= 0, type_name(), ": learning rate must be >= 0, got ", lr);
    lr_ = lr;
}

void Optimizer::step() {
    NoGrad no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        Tensor g = p.grad();
        if (!g.defined()) continue;
        // Gradients the engine accumulates are contiguous; a user-set one may not be.
        if (!g.is_contiguous()) g = g.contiguous();
        if (p.is_contiguous()) {
            update(i, p, g);
            // The kernels write through the data pointer: count it as an in-place change, so a
            // graph that saved this parameter refuses a later backward (PyTorch semantics).
            p.impl()->storage->bump_version();
        } else {
            Tensor dense = p.contiguous();
            update(i, dense, g);
            p.copy_(dense);
        }
    }
    ++steps_;
}

void Optimizer::zero_grad() {
    for (Tensor& p : params_) p.set_grad(Tensor());
}

nn::StateDict Optimizer::state_dict() const {
    nn::StateDict dict;
    dict.insert("step", step_counter(steps_));
    dict.insert("lr", scalar_tensor(lr_, kFloat64));
    for (const Buffer& b : const_cast<Optimizer*>(this)->buffers())
        for (std::size_t i = 0; i < b.values->size(); ++i)
            if ((*b.values)[i].defined())
                dict.insert(std::string(b.name) + "." + std::to_string(i), (*b.values)[i]);
    return dict;
}

namespace {

// "exp_avg.3" -> ("exp_avg", 3); false when the name has no numeric suffix.
bool split_name(const std::string& name, std::string& buffer, std::size_t& index) {
    std::size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot + 1 == name.size() || name.size() - dot > 10) return false;
    index = 0;
    for (std::size_t k = dot + 1; k < name.size(); ++k) {
        if (!std::isdigit(static_cast<unsigned char>(name[k]))) return false;
        index = index * 10 + static_cast<std::size_t>(name[k] - '0');
    }
    buffer = name.substr(0, dot);
    return true;
}

}  // namespace

void Optimizer::load_state_dict(const nn::StateDict& state) {
    std::vector<Buffer> bufs = buffers();
    std::vector<std::string> problems;
    auto problem = [&](const auto&... parts) {
        std::ostringstream os;
        (os << ... << parts);
        problems.push_back(os.str());
    };
    auto scalar_ok = [](const Tensor& t, bool integer) {
        return t.defined() && t.numel() == 1 &&
               (integer ? t.dtype() == kInt64 : is_floating(t.dtype()));
    };

    // Pass 1: check everything, so a refused dict leaves the optimizer as it was.
    struct Entry {
        std::size_t buffer, index;
        const Tensor* value;
    };
    std::vector<Entry> entries;
    const Tensor* step = nullptr;
    const Tensor* lr = nullptr;
    for (const auto& [name, t] : state.items()) {
        if (name == "step") {
            step = &t;
            if (!scalar_ok(t, true) || t.item<std::int64_t>() < 0)
                problem("'step' must be one non-negative int64");
            continue;
        }
        if (name == "lr") {
            lr = &t;
            if (!scalar_ok(t, false) || !(t.item<double>() >= 0))
                problem("'lr' must be one non-negative floating value");
            continue;
        }
        std::string buffer;
        std::size_t index = 0, b = 0;
        if (split_name(name, buffer, index))
            while (b < bufs.size() && buffer != bufs[b].name) ++b;
        if (!split_name(name, buffer, index) || b == bufs.size()) {
            problem("unexpected entry '", name, "'");
            continue;
        }
        if (index >= params_.size()) {
            problem("'", name, "' names parameter ", index, " of ", params_.size());
            continue;
        }
        const Tensor& p = params_[index];
        if (bufs[b].scalar ? !scalar_ok(t, true)
                           : !t.defined() || t.shape() != p.shape() || t.dtype() != p.dtype()) {
            if (bufs[b].scalar)
                problem("'", name, "' must be one int64");
            else
                problem("'", name, "' is ", t.defined() ? t.shape().str() : "undefined", " ",
                        t.defined() ? dtype_name(t.dtype()) : "", ", parameter ", index, " is ",
                        p.shape(), " ", p.dtype());
            continue;
        }
        entries.push_back({b, index, &t});
    }
    if (!step) problem("missing 'step'");
    if (!problems.empty()) {
        std::string all;
        for (const std::string& s : problems) all += (all.empty() ? "" : "; ") + s;
        fail(type_name(), ": load_state_dict: ", all);
    }

    // Pass 2: copy in (copies, so later updates never write into the caller's tensors).
    NoGrad no_grad;
    steps_ = step->item<std::int64_t>();
    if (lr) lr_ = lr->item<double>();
    for (const Buffer& b : bufs) b.values->assign(params_.size(), Tensor());
    for (const Entry& e : entries) {
        const Buffer& b = bufs[e.buffer];
        (*b.values)[e.index] =
            b.scalar ? step_counter(e.value->item<std::int64_t>()) : e.value->detach().clone();
    }
}

}  // namespace soma::optim
