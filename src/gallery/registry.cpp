// The list of entries with their slides and captions, and running one.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "entries.h"
#include "soma/error.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

// Swallows everything written to it (an ostream without a buffer sets badbit and drops output).
std::ostream& null_stream() {
    static std::ostream sink(nullptr);
    return sink;
}

}  // namespace

std::string strf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    return buf;
}

std::string Context::path(const std::string& file) const {
    if (out_dir.empty() || out_dir == ".") return file;
    return (std::filesystem::path(out_dir) / file).string();
}

std::ostream& Context::out() const { return log ? *log : null_stream(); }

const std::vector<Entry>& entries() {
    static const std::vector<Entry> all = {
        {"01_binary_xor", "Example: XOR-Network",
         "McCulloch-Pitts neurons with weights ±1 and thresholds: h1 is an OR (θ = 1), h2 an AND "
         "(θ = 2), and the output fires when h1 − h2 ≥ 1. The printed truth table x1 x2 h1 h2 y "
         "is the slide's; the figure shows the four inputs coloured by y and the lines where h1 "
         "and h2 switch on: XOR is the band between them. A network built by "
         "nn::logic_network from the XOR truth table gives the same outputs.",
         run_binary_xor},
        {"02_perceptron", "Perceptron Learning Example",
         "Rosenblatt's perceptron trained by SGD on the perceptron loss, one sample at a time, "
         "which is exactly the slide's rule w ← w + η·x·y on mistakes. On linearly separable "
         "points it reaches zero errors (the boundary is drawn after several epochs); on XOR "
         "no line separates the classes, so the error count never reaches zero.",
         run_perceptron},
        {"03_backprop",
         "Backpropagation(Linnainmaa 1970; Werbos 1974; Rumelhart, Hinton, and "
         "Williams 1986)",
         "The slide's computational graph u → (u², 4u) → log(w1)·w2, differentiated by autograd "
         "and compared with the chain rule worked out by hand, dv/du = 8 + 4 log(u²). The graph "
         "autograd recorded is exported as Graphviz DOT; the plot compares the two derivatives "
         "over a range of u.",
         run_backprop},
        {"04_activations", "Activation functions",
         "The differentiable surrogates of the threshold: logistic sigmoid, tanh and ReLU, with "
         "their derivatives computed by autograd (solid) and by the slide's formulas "
         "f(1 − f), 1 − tanh² and [x > 0] (dashed); the two agree to rounding error.",
         run_activations},
        {"05_mlp_xor", "Example: XOR with single-hidden-layer perceptron",
         "A single hidden layer of two sigmoid units with a linear output, trained on the squared "
         "loss, solves XOR, which the perceptron cannot. As on the slide, the panels show the "
         "hidden units h1 and h2 and the output ŷ over the unit square, with the four training "
         "points on top: each hidden unit cuts the square with one line, and the output combines "
         "the two half-planes.",
         run_mlp_xor},
        {"06_recipes", "Recipes for neural network construction",
         "The two recipes on real data from scikit-learn's bundled sets. Regressor: the diabetes "
         "data (10 standardised features) through Linear/ReLU layers to one output, RMSE loss, "
         "Adam with weight decay. Classifier: the 8×8 digits through Linear/ReLU layers to ten "
         "logits, softmax cross-entropy, Adam with weight decay. Both report held-out numbers "
         "on a 20% test split; the curves show training and test loss per epoch, and the image "
         "grid shows the test digits the classifier gets wrong.",
         run_recipes},
        {"07_cos2sin", "Example: Cosine-to-Sine prediction",
         "Input x_t = cos(0.1 t + φ), target y_t = sin(0.1 t + φ), random phases φ, a Linear(10 "
         "→ 1) read-out at every step, MSE and Adam. A perceptron with K = 10 hidden units sees "
         "only x_t and cannot tell a rising from a falling cosine, so it predicts about 0 (its "
         "error stays near E[sin²] = 0.5); the Elman recurrent net, the GRU and the LSTM (K = "
         "10 each) remember where the wave came from and follow the sine. Each panel shows one "
         "test sequence: x_t dashed, y_t and the model's ŷ_t.",
         run_cos2sin},
        {"08_bptt_gradients", "Backpropagation through time (Werbos 1990)",
         "Backpropagation through time multiplies one Jacobian per step, so the gradient "
         "∂loss_T/∂h_t of an Elman net shrinks geometrically with the lag T − t (log scale), "
         "while the LSTM's additive cell state (Hochreiter and Schmidhuber 1997) and the GRU's "
         "update gate keep it alive. The task: recall a bit seen at the start of a sequence, "
         "with noise on a second input; the printout gives each net's accuracy: the gated nets "
         "learn the long-lag dependency, the Elman net stays near chance.",
         run_bptt_gradients},
        {"09_char_rnn", "Long Short-Term Memory Networks (Hochreiter and Schmidhuber 1997)",
         "A character-level language model: a GRU reads the lower-case words of Debian's "
         "wamerican word list letter by letter and predicts the next letter (or the end of the "
         "word). The curve shows bits per character on training and held-out words against the "
         "entropy of the letter frequencies alone; the samples are words drawn letter by letter "
         "at temperatures 0.5 to 1 (* marks words that are not in the dictionary).",
         run_char_rnn},
        {"10_conv_filters", "Convolutions",
         "A convolution slides one small set of shared weights over its input. In 1-D the "
         "window [-1 0 1] moved along a step signal answers where the signal changes; in 2-D "
         "the Sobel filters answer where an image's brightness changes, left-right and up-down "
         "(the printout and max differences show the hand-written window loop equals conv1d and "
         "conv2d). The last grids show the 32 first-layer 3x3 filters a Fashion-MNIST CNN "
         "learns and what each of them picks out of the same image.",
         run_conv_filters},
        {"11_fmnist_classifier", "Recipes for neural network construction: Classifier",
         "The classifier recipe on Fashion-MNIST (60,000 28x28 images of clothes, 10 classes): "
         "normalised images, the benchmark's MLP (784-256-256-10) and CNN (two 3x3 conv + max "
         "pool stages, 128 hidden units, dropout 0.25), softmax cross-entropy and Adam (1e-3), "
         "one epoch each. The CNN, with far fewer weights per unit, beats the MLP; the heat map "
         "is its confusion matrix (shirts, pullovers and coats get mixed up), the grid its first "
         "mistakes. `soma train fmnist` runs the same loop for more epochs, also a small ResNet "
         "with batch norm and dropout.",
         run_fmnist_classifier},
    };
    return all;
}

const Entry* find(const std::string& name) {
    for (const Entry& e : entries())
        if (e.name == name) return &e;
    return nullptr;
}

Result run(const Entry& entry, Context& ctx) {
    manual_seed(ctx.seed);  // for anything an entry draws from the default generator
    const auto start = std::chrono::steady_clock::now();
    Result result;
    try {
        if (!ctx.out_dir.empty()) std::filesystem::create_directories(ctx.out_dir);
        result = entry.run(ctx);
    } catch (const std::exception& e) {
        result = Result{};
        result.ok = false;
        result.summary = std::string("failed: ") + e.what();
    }
    result.metrics["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace soma::gallery
