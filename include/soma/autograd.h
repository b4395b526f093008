#pragma once
// Autograd: the graph recorded by ops and the engine that walks it backwards.
//
// An op computes its result, then calls record(...) with the inputs and a backward closure that
// returns one gradient per input. The engine accumulates gradients, reduces broadcast
// dimensions back to each input's shape, and runs closures under NoGrad (unless create_graph).

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "soma/tensor.h"

namespace soma::autograd {

// One gradient per input of an op; an undefined Tensor means "no gradient" (treated as zero).
using Grads = std::vector<Tensor>;

// Which inputs of an op need a gradient; a backward closure may skip the others.
class NeedsGrad {
public:
    bool operator[](std::size_t i) const { return i < 64 && ((bits_ >> i) & 1u); }
    void set(std::size_t i) {
        if (i < 64) bits_ |= std::uint64_t{1} << i;
    }

private:
    std::uint64_t bits_ = 0;
};

// ---- saved tensors and in-place writes
// A backward closure reads the tensors it captured when backward runs, so an in-place write to
// one of them between the forward and the backward pass (under NoGrad, or to a tensor that does
// not require grad) would silently give wrong gradients. As in PyTorch, each Storage counts
// in-place writes (Storage::version, bumped by Tensor::fill_, zero_, copy_, add_, mul_ and the
// nn::init functions built on them); record() notes the version of the op's saved tensors and
// the engine compares it just before running the closure, throwing a soma::Error that names the
// op and the tensor (input i or the output, its shape and both versions).
//
// record() cannot see what a closure captured, so the op says it with `Saves`. The default is
// the safe one, "all inputs and the output": a write to any of them is refused. An op whose
// closure keeps none of them (add, sub, views, sum, cat, ...) or only its inputs (mul, matmul)
// says so, and a write to a tensor it does not keep stays legal, as in PyTorch. Versions belong
// to the storage, so a write through a view or a detach()ed alias counts too (PyTorch shares the
// counter the same way). Optimisers write parameters in place after backward, when the graph
// has been released, and the next forward saves the new version: training is unaffected. Writes
// through data<T>() or at<T>() are not counted.
struct Saves {
    std::uint64_t inputs = ~std::uint64_t{0};  // bit i: the closure keeps input i (i < 64)
    bool output = true;                        // the closure keeps the output (or an alias)
};
inline constexpr Saves kSavesNothing{0, false};
inline constexpr Saves kSavesInputs{~std::uint64_t{0}, false};

// The version a saved tensor's storage had at record time. Weak: if nobody holds the storage
// any more, the closure did not keep it, and nothing can be checked or go wrong.
struct SavedVersion {
    std::weak_ptr<Storage> storage;
    std::uint64_t version = 0;
};

// A recorded operation: the backward half of an op, and the edges to its inputs.
class Node {
public:
    explicit Node(const char* name) : name_(name) {}
    virtual ~Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const char* name() const { return name_; }

    // Gradients w.r.t. each input given the gradient of the output.
    virtual Grads apply(const Tensor& grad_output, const NeedsGrad& needs) = 0;
    // Frees what apply needs (captured tensors) once a backward pass is done with this node.
    virtual void release() = 0;

    // Where the gradient of one input goes: the node that made it, or the leaf itself.
    struct Edge {
        std::shared_ptr<Node> fn;
        std::shared_ptr<TensorImpl> leaf;  // a leaf that requires grad
        Shape shape;                       // the input's shape, to un-broadcast into
        DType dtype = kFloat32;
        SavedVersion saved;  // for the in-place check, when the closure keeps this input
        bool needs_grad() const { return fn || leaf; }
    };
    std::vector<Edge> edges;
    SavedVersion saved_output;
    NeedsGrad needs;
    bool released = false;
    std::weak_ptr<TensorImpl> retained;  // output tensor that asked retain_grad()

    // Engine scratch, valid only during one backward pass.
    Tensor pending_grad;
    int pending_count = 0;

private:
    const char* name_;
};

template <class F>
class FnNode final : public Node {
public:
    FnNode(const char* name, F fn) : Node(name), fn_(std::move(fn)) {}
    Grads apply(const Tensor& gy, const NeedsGrad& needs) override {
        if constexpr (std::is_invocable_v<F&, const Tensor&, const NeedsGrad&>)
            return (*fn_)(gy, needs);
        else
            return (*fn_)(gy);
    }
    void release() override { fn_.reset(); }

private:
    std::optional<F> fn_;  // emptied by release(), which frees the captured tensors
};

// ---- grad mode
bool grad_enabled();
void set_grad_enabled(bool on);

// While alive, ops record nothing (like torch.no_grad()).
class NoGrad {
public:
    NoGrad() : previous_(grad_enabled()) { set_grad_enabled(false); }
    ~NoGrad() { set_grad_enabled(previous_); }
    NoGrad(const NoGrad&) = delete;
    NoGrad& operator=(const NoGrad&) = delete;

private:
    bool previous_;
};

// While alive, ops record again (inside a NoGrad scope).
class EnableGrad {
public:
    EnableGrad() : previous_(grad_enabled()) { set_grad_enabled(true); }
    ~EnableGrad() { set_grad_enabled(previous_); }
    EnableGrad(const EnableGrad&) = delete;
    EnableGrad& operator=(const EnableGrad&) = delete;

private:
    bool previous_;
};

// ---- anomaly detection
// With anomaly mode on (PyTorch's torch.autograd.set_detect_anomaly), every differentiable op
// checks its output as it runs, and the engine checks every gradient a backward closure
// returns: the first NaN or Inf throws a soma::Error that names the op, e.g.
//   "detect_anomaly: Log produced -inf in its output (shape (4, 3)) from finite inputs"
//   "detect_anomaly: SqrtBackward returned inf in the gradient of input 0 ..."
// Off by default: it reads every value an op writes (`soma train ... --detect-anomaly`).
// Process-wide, like PyTorch's flag; ops running on other threads are checked too.
namespace detail {
inline std::atomic<bool> anomaly_mode{false};
// Throws when `out` holds a NaN or Inf (float32/float64 tensors; other dtypes pass).
void check_forward_anomaly(const char* name, const Tensor& out, const Tensor* inputs,
                           std::size_t n);
}  // namespace detail
inline bool is_anomaly_enabled() { return detail::anomaly_mode.load(std::memory_order_relaxed); }
inline void set_detect_anomaly(bool on) { detail::anomaly_mode.store(on); }

// Anomaly mode while alive (torch.autograd.detect_anomaly()).
class DetectAnomaly {
public:
    explicit DetectAnomaly(bool on = true) : previous_(is_anomaly_enabled()) {
        set_detect_anomaly(on);
    }
    ~DetectAnomaly() { set_detect_anomaly(previous_); }
    DetectAnomaly(const DetectAnomaly&) = delete;
    DetectAnomaly& operator=(const DetectAnomaly&) = delete;

private:
    bool previous_;
};

namespace detail {
bool any_requires_grad(const Tensor* inputs, std::size_t n);
// Connects `node` to the inputs, notes the versions of the saved ones, and makes it the
// grad_fn of `out`.
void attach(Tensor& out, const std::shared_ptr<Node>& node, const Tensor* inputs, std::size_t n,
            Saves saves);
}  // namespace detail

// Records `out = op(inputs)` with its backward closure, when grad mode is on and some input
// requires grad; otherwise returns `out` untouched at the cost of one flag test.
// The closure is `Grads(const Tensor& grad_out)` or `Grads(const Tensor& grad_out, const
// NeedsGrad&)`; it must capture what it needs detached (the op's inputs and outputs as plain
// data), so no reference cycles form. `saves` tells which of the inputs and the output the
// closure keeps, for the in-place check above.
template <class F>
Tensor record(const char* name, Tensor out, const Tensor* inputs, std::size_t n, F&& backward,
              Saves saves = {}) {
    if (is_anomaly_enabled()) detail::check_forward_anomaly(name, out, inputs, n);
    if (!grad_enabled() || !detail::any_requires_grad(inputs, n)) return out;
    auto node = std::make_shared<FnNode<std::decay_t<F>>>(name, std::forward<F>(backward));
    detail::attach(out, node, inputs, n, saves);
    return out;
}
template <class F>
Tensor record(const char* name, Tensor out, std::initializer_list<Tensor> inputs, F&& backward,
              Saves saves = {}) {
    return record(name, std::move(out), inputs.begin(), inputs.size(), std::forward<F>(backward),
                  saves);
}
template <class F>
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, F&& backward,
              Saves saves = {}) {
    return record(name, std::move(out), inputs.data(), inputs.size(), std::forward<F>(backward),
                  saves);
}

// ---- the engine
// Backpropagates from `roots` (each seeded with the matching entry of `grad_roots`, or 1 for a
// scalar root), accumulating into the .grad of every leaf that requires grad.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false, bool create_graph = false);

// Gradients of `outputs` w.r.t. `inputs`, returned instead of accumulated into .grad (for input
// gradients in adversarial attacks; with create_graph, for gradient penalties). An input that
// the outputs do not depend on throws unless allow_unused (then its entry is undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

// ---- checking and looking
struct GradCheckResult {
    bool ok = true;
    double max_abs_error = 0;         // worst |analytic - numeric| over all elements
    int input = -1;                   // which input holds the worst element
    std::vector<std::int64_t> index;  // its coordinates
    double analytic = 0, numeric = 0;
    std::string message;  // a readable report of the worst element
};

// Compares the autograd gradient of sum(f(inputs) * w), for a fixed random w, with central
// differences in float64. Inputs are converted to float64 leaves; the check passes when every
// element satisfies |analytic - numeric| <= atol + rtol * |numeric|.
GradCheckResult grad_check(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                           const std::vector<Tensor>& inputs, double eps = 1e-6, double atol = 1e-5,
                           double rtol = 1e-4);

// The graph that produced `t`, in Graphviz DOT (nodes: ops and leaves, with shapes).
std::string to_dot(const Tensor& t);

}  // namespace soma::autograd

namespace soma {
using autograd::NoGrad;
}  // namespace soma
