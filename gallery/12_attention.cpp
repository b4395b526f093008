// 12: the slide's softmax attention. First by hand, as on the slide: a database of vectors
// x_1..x_N and a query q, the affinities a_i = qᵀx_i, the attention scores α = softmax(a) and
// the weighted sum y = Σ α_i x_i. Then learned: associative recall, where each position of a
// sequence holds a (key, value) pair and a query names a key; the answer is the value stored
// beside that key, so it sits at one position of the input, and a one-head
// nn::MultiheadAttention has to learn to put its attention there.

#include <algorithm>
#include <numeric>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/attention.h"
#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"
#include "soma/optim/adam.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

// ---- the slide's example, by hand ------------------------------------------------------------

// Prints the table of the slide for a fixed database and query; returns the largest score.
double database_lookup(std::ostream& out) {
    const std::int64_t n = 5, d = 4;
    // x_i: (N, d); q: (d). The query is closest in direction to x_3.
    Tensor x = from_vector(std::vector<float>{0.9f,  -0.3f, 0.2f,  0.0f,   //
                                              -0.5f, 0.8f,  0.1f,  0.4f,   //
                                              0.1f,  0.2f,  1.5f,  -0.7f,  //
                                              0.0f,  -1.0f, 0.3f,  1.2f,   //
                                              0.6f,  0.6f,  -0.4f, 0.3f},  //
                           {n, d});
    Tensor q = from_vector(std::vector<float>{0.2f, 0.1f, 2.0f, -1.0f}, {d});
    Tensor a = matmul(x, q);       // (N): a_i = qᵀ x_i
    Tensor alpha = softmax(a, 0);  // (N): α_i = exp(a_i) / Σ_j exp(a_j)
    Tensor y = matmul(alpha, x);   // (d): y = Σ α_i x_i
    // The library's op computes the same (scale 1: the slide has no 1/sqrt(d)).
    Tensor y_op = scaled_dot_product_attention(q.reshape({1, d}), x, x, {}, 0.0, false, 1.0);

    auto row = [](const Tensor& v) {
        std::string s = "(";
        for (float f : v.to_vector<float>()) s += strf("%5.2f ", f);
        s.back() = ')';
        return s;
    };
    out << "Database lookup, as on the slide: query q = " << row(q) << "\n\n"
        << "  i  x_i                         a_i = qᵀx_i   α_i\n";
    const std::vector<float> av = a.to_vector<float>(), alv = alpha.to_vector<float>();
    for (std::int64_t i = 0; i < n; ++i)
        out << strf("  %lld  %s   %7.3f     %.3f\n", static_cast<long long>(i + 1),
                    row(x.select(0, i)).c_str(), av[i], alv[i]);
    out << "\n  y = Σ α_i x_i = " << row(y) << "\n"
        << "  scaled_dot_product_attention(q, x, x, scale = 1) = " << row(y_op.reshape({d}))
        << "\n\n";
    return max(alpha).item();
}

// ---- associative recall, learned -------------------------------------------------------------

constexpr std::int64_t kKeys = 16;    // key symbols
constexpr std::int64_t kValues = 10;  // value symbols (the classes)
constexpr std::int64_t kLen = 8;      // (key, value) pairs per sequence; keys distinct
constexpr std::int64_t kDim = 32;     // attention width

// A batch of sequences. Every key present is asked once, in ascending key order, so query j
// of a sequence asks for its j-th smallest key.
struct Recall {
    Tensor pairs;     // (B, L, K + V) float: one-hot key, one-hot value per position
    Tensor queries;   // (B, L) int64: the key asked
    Tensor target;    // (B, L) int64: the value stored beside it
    Tensor position;  // (B, L) int64: the position holding it
};

Recall make_recall(std::int64_t batch, Generator& gen) {
    const std::int64_t f = kKeys + kValues;
    std::vector<float> pairs(batch * kLen * f, 0.0f);
    std::vector<std::int64_t> queries(batch * kLen), target(batch * kLen), position(batch * kLen);
    std::vector<std::int64_t> keys(kKeys);
    for (std::int64_t b = 0; b < batch; ++b) {
        std::iota(keys.begin(), keys.end(), 0);
        for (std::int64_t i = 0; i < kLen; ++i)  // the first kLen of a random permutation
            std::swap(keys[i], keys[gen.randint(i, kKeys)]);
        std::vector<std::int64_t> order(kLen), value(kLen);
        for (std::int64_t t = 0; t < kLen; ++t) {
            value[t] = gen.randint(0, kValues);
            pairs[(b * kLen + t) * f + keys[t]] = 1.0f;
            pairs[(b * kLen + t) * f + kKeys + value[t]] = 1.0f;
        }
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](std::int64_t i, std::int64_t j) { return keys[i] < keys[j]; });
        for (std::int64_t j = 0; j < kLen; ++j) {
            queries[b * kLen + j] = keys[order[j]];
            target[b * kLen + j] = value[order[j]];
            position[b * kLen + j] = order[j];
        }
    }
    return {from_vector(pairs, {batch, kLen, f}), from_vector(queries, {batch, kLen}),
            from_vector(target, {batch, kLen}), from_vector(position, {batch, kLen})};
}

// Query embedding -> one-head attention over the pairs -> the value's logits.
struct RecallNet {
    nn::Embedding query_embed;
    nn::MultiheadAttention attn;
    nn::Linear head;

    explicit RecallNet(Generator& gen)
        : query_embed({.num_embeddings = kKeys, .embedding_dim = kDim, .gen = &gen}),
          attn({.embed_dim = kDim,
                .num_heads = 1,
                .kdim = kKeys + kValues,
                .vdim = kKeys + kValues,
                .batch_first = true,
                .gen = &gen}),
          head({.in = kDim, .out = kValues, .gen = &gen}) {}

    // -> logits (B, L, V) and the attention weights (B, L queries, L positions)
    nn::MultiheadAttentionOutput forward(const Recall& r) {
        Tensor q = query_embed(r.queries);  // (B, L) -> (B, L, D)
        auto o = attn.forward(q, r.pairs, r.pairs);
        return {head(o.output), o.weights};
    }
    std::vector<Tensor> parameters() {
        std::vector<Tensor> p;
        for (nn::Module* m : std::vector<nn::Module*>{&query_embed, &attn, &head})
            for (const Tensor& t : m->parameters()) p.push_back(t);
        return p;
    }
};

struct Scores {
    double accuracy, mass;  // answers right; mean attention weight on the right position
};

Scores evaluate(RecallNet& net, const Recall& r) {
    NoGrad no_grad;
    auto o = net.forward(r);
    const double acc = mean(eq(argmax(o.output, -1).to(kFloat64), r.target.to(kFloat64))).item();
    Tensor on_target = gather(o.weights, 2, r.position.unsqueeze(2));  // (B, L, 1)
    return {acc, mean(on_target.to(kFloat64)).item()};
}

// Row j: query j of sequence 0 (bottom: the smallest key), column t: position t.
void draw_heatmap(plot::Axes& ax, const Tensor& weights) {
    ax.heatmap(weights.select(0, 0).to(kFloat64), {.x0 = -0.5,
                                                   .x1 = kLen - 0.5,
                                                   .y0 = -0.5,
                                                   .y1 = kLen - 0.5,
                                                   .vmin = 0,
                                                   .vmax = 1,
                                                   .label = "attention weight"});
}

Result run_attention(Context& ctx) {
    std::ostream& out = ctx.out();
    Result result;
    result.metrics["database_top_weight"] = database_lookup(out);

    Generator gen(ctx.seed * 1000 + 13);
    const std::int64_t batch = 32;
    const int steps = ctx.quick ? 300 : 1500;
    const Recall test = make_recall(512, gen);
    RecallNet net(gen);
    optim::Adam opt(net.parameters(), {.lr = 3e-3});

    Tensor before = net.forward(test).weights.detach();
    const Scores start = evaluate(net, test);
    std::vector<double> xs, losses;
    for (int step = 0; step < steps; ++step) {
        const Recall r = make_recall(batch, gen);  // fresh sequences every step
        Tensor logits = net.forward(r).output;     // (B, L, V)
        Tensor loss = nn::cross_entropy(logits.reshape({-1, kValues}), r.target.reshape({-1}));
        opt.zero_grad();
        loss.backward();
        opt.step();
        if (step % 10 == 0) xs.push_back(step), losses.push_back(loss.item());
    }
    const Scores end = evaluate(net, test);
    result.metrics["accuracy"] = end.accuracy;
    result.metrics["target_weight"] = end.mass;
    result.metrics["accuracy_before"] = start.accuracy;

    // One test sequence spelled out.
    NoGrad no_grad;
    auto o = net.forward(test);
    const std::vector<std::int64_t> pred =
        argmax(o.output, -1).select(0, 0).to_vector<std::int64_t>();
    const std::vector<float> pv = test.pairs.select(0, 0).to_vector<float>();
    out << "Associative recall: " << kLen << " (key, value) pairs per sequence, keys k0..k"
        << kKeys - 1 << " distinct, values v0..v" << kValues - 1
        << "; each key present is asked for its value.\nTest sequence 0:";
    for (std::int64_t t = 0; t < kLen; ++t) {
        const float* p = pv.data() + t * (kKeys + kValues);
        out << strf(
            " (k%lld, v%lld)", static_cast<long long>(std::max_element(p, p + kKeys) - p),
            static_cast<long long>(std::max_element(p + kKeys, p + kKeys + kValues) - (p + kKeys)));
    }
    const std::vector<std::int64_t> qv = test.queries.select(0, 0).to_vector<std::int64_t>();
    out << "\nanswers:";
    for (std::int64_t j = 0; j < kLen; ++j)
        out << strf(" k%lld→v%lld", static_cast<long long>(qv[j]), static_cast<long long>(pred[j]));
    out << "\n"
        << strf("after %d Adam steps (batch %lld, lr 3e-3): ", steps, static_cast<long long>(batch))
        << strf(
               "accuracy %.3f (before training %.3f, chance %.3f); mean attention weight on "
               "the position holding the key %.3f\n",
               end.accuracy, start.accuracy, 1.0 / kValues, end.mass);

    plot::Figure fig({.title = "Attention of query j (the j-th smallest key) over the positions "
                               "of one test sequence",
                      .width = 1000,
                      .height = 440},
                     {{.title = "before training",
                       .xlabel = "position",
                       .ylabel = "query",
                       .legend = plot::Legend::None},
                      {.title = strf("after training (accuracy %.2f)", end.accuracy),
                       .xlabel = "position",
                       .legend = plot::Legend::None}});
    draw_heatmap(fig.axes(0), before);
    draw_heatmap(fig.axes(1), o.weights);
    result.figures.push_back(ctx.path("12_attention.svg"));
    fig.save(result.figures.back());

    plot::Figure curve({.title = "Training loss (every 10th step)",
                        .xlabel = "step",
                        .ylabel = "cross-entropy",
                        .width = 520,
                        .height = 360,
                        .logy = true});
    curve.line(xs, losses, "");
    result.figures.push_back(ctx.path("12_attention_loss.svg"));
    curve.save(result.figures.back());

    result.ok = end.accuracy > 0.9 && end.mass > 0.8;
    result.summary = strf(
        "softmax attention: the slide's lookup puts α = %.2f on the nearest vector; one-head "
        "attention learns associative recall to accuracy %.3f (chance %.2f) with weight %.2f on "
        "the position holding the key",
        result.metrics["database_top_weight"], end.accuracy, 1.0 / kValues, end.mass);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry attention_entry() {
    return {
        .name = "12_attention",
        .slide = "Softmax / Attention",
        .caption =
            "The slide's computation by hand: a database of five vectors x_i and a query q, the "
            "affinities a_i = qᵀx_i, the scores α = softmax(a) and the weighted sum y = Σ α_i x_i "
            "(printed, and checked against scaled_dot_product_attention). Then attention learned: "
            "each test sequence holds 8 (key, value) pairs with distinct keys, and a query names "
            "one key; the answer is the value beside it, at one position of the input. A one-head "
            "nn::MultiheadAttention (query: an embedding of the key asked; keys and values: the "
            "one-hot pairs) followed by a Linear read-out is trained with cross-entropy and Adam. "
            "The heat maps show, for one test sequence, the attention of each query (rows, the "
            "keys asked in ascending order) over the 8 positions: spread evenly before training, "
            "on the one position holding the asked key after it (a permutation matrix).",
        .run = run_attention};
}

}  // namespace soma::gallery
