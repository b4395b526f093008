// Seq2Seq: construction, the encoder, one decoder step, and teacher-forced training forward.
// Decoding (greedy and beam search) is in seq2seq_decode.cpp.

#include "soma/models/seq2seq.h"

#include <algorithm>
#include <limits>

#include "decoding.h"
#include "soma/autograd.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "Seq2Seq";

Seq2SeqOptions resolved(const Seq2SeqOptions& o) {
    check(o.src_vocab > 0 && o.tgt_vocab > 0, kName, ": src_vocab and tgt_vocab must be ",
          "positive, got ", o.src_vocab, " and ", o.tgt_vocab);
    check(o.embed_dim > 0 && o.hidden_size > 0 && o.num_layers > 0, kName,
          ": embed_dim, hidden_size and num_layers must be positive, got ", o.embed_dim, ", ",
          o.hidden_size, ", ", o.num_layers);
    check(o.dropout >= 0 && o.dropout < 1, kName, ": dropout must be in [0, 1), got ", o.dropout);
    for (auto [id, what] : {std::pair{o.sos_id, "sos_id"}, std::pair{o.eos_id, "eos_id"}})
        check(id >= 0 && id < o.tgt_vocab, kName, ": ", what, " ", id, " is not a target id (",
              "tgt_vocab ", o.tgt_vocab, ")");
    check(o.pad_id >= 0 && o.pad_id < o.src_vocab && o.pad_id < o.tgt_vocab, kName, ": pad_id ",
          o.pad_id, " must be an id of both vocabularies (", o.src_vocab, " and ", o.tgt_vocab,
          ")");
    check(o.sos_id != o.eos_id, kName, ": sos_id and eos_id are both ", o.sos_id);
    return o;
}

std::int64_t encoder_width(const Seq2SeqOptions& o) {
    return o.hidden_size * (o.bidirectional ? 2 : 1);
}

}  // namespace

Seq2Seq::Seq2Seq(Seq2SeqOptions o)
    : src_embedding({.num_embeddings = resolved(o).src_vocab,
                     .embedding_dim = o.embed_dim,
                     .padding_idx = o.pad_id,
                     .gen = o.gen}),
      tgt_embedding({.num_embeddings = o.tgt_vocab,
                     .embedding_dim = o.embed_dim,
                     .padding_idx = o.pad_id,
                     .gen = o.gen}),
      readout({.in = resolved(o).hidden_size +
                     (o.attention == Seq2SeqAttention::None ? 0 : encoder_width(o)),
               .out = o.tgt_vocab,
               .gen = o.gen}),
      o_(resolved(o)) {
    const std::int64_t E = o_.embed_dim, H = o_.hidden_size, L = o_.num_layers;
    const nn::GRUOptions rnn{.input_size = E,
                             .hidden_size = H,
                             .num_layers = L,
                             .batch_first = true,
                             .dropout = o_.dropout,
                             .bidirectional = o_.bidirectional,
                             .gen = o_.gen};
    if (o_.cell == RecurrentCell::GRU)
        encoder_gru = std::make_shared<nn::GRU>(rnn);
    else
        encoder_lstm = std::make_shared<nn::LSTM>(rnn);
    if (o_.bidirectional) {
        bridge_h =
            std::make_shared<nn::Linear>(nn::LinearOptions{.in = 2 * H, .out = H, .gen = o_.gen});
        if (o_.cell == RecurrentCell::LSTM)
            bridge_c = std::make_shared<nn::Linear>(
                nn::LinearOptions{.in = 2 * H, .out = H, .gen = o_.gen});
    }
    const std::int64_t context = o_.attention == Seq2SeqAttention::None ? 0 : encoder_width(o_);
    for (std::int64_t l = 0; l < L; ++l) {
        const nn::GRUCellOptions c{
            .input_size = l == 0 ? E + context : H, .hidden_size = H, .gen = o_.gen};
        if (o_.cell == RecurrentCell::GRU)
            decoder_cells.push_back(std::make_shared<nn::GRUCell>(c));
        else
            decoder_cells.push_back(std::make_shared<nn::LSTMCell>(c));
    }
    if (o_.attention == Seq2SeqAttention::Additive)
        attention = std::make_shared<nn::AdditiveAttention>(nn::AdditiveAttentionOptions{
            .query_dim = H, .key_dim = encoder_width(o_), .hidden = H, .gen = o_.gen});
    else if (o_.attention == Seq2SeqAttention::Dot)
        attention_proj = std::make_shared<nn::Linear>(
            nn::LinearOptions{.in = encoder_width(o_), .out = H, .bias = false, .gen = o_.gen});
}

void Seq2Seq::visit(nn::Visitor& v) {
    v.module("src_embedding", src_embedding);
    v.module("tgt_embedding", tgt_embedding);
    if (encoder_gru) v.module("encoder", *encoder_gru);
    if (encoder_lstm) v.module("encoder", *encoder_lstm);
    if (bridge_h) v.module("bridge_h", *bridge_h);
    if (bridge_c) v.module("bridge_c", *bridge_c);
    v.module("decoder_cells", decoder_cells);
    if (attention) v.module("attention", *attention);
    if (attention_proj) v.module("attention_proj", *attention_proj);
    v.module("readout", readout);
}

std::string Seq2Seq::extra_repr() const {
    const char* att[] = {"none", "additive", "dot"};
    return "src_vocab=" + std::to_string(o_.src_vocab) +
           ", tgt_vocab=" + std::to_string(o_.tgt_vocab) +
           ", cell=" + (o_.cell == RecurrentCell::GRU ? "GRU" : "LSTM") +
           ", attention=" + att[static_cast<int>(o_.attention)];
}

EncoderMemory Seq2Seq::encode(const Tensor& src, const nn::Lengths& src_lengths) {
    EncoderMemory m;
    m.lengths = detail::source_lengths(kName, src, o_.src_vocab, src_lengths, o_.pad_id);
    const std::int64_t N = src.size(0), S = src.size(1);

    const bool train = is_training();
    // src: (N, S) -> (N, S, E) -> encoder -> (N, S, D·H)
    Tensor x = dropout(src_embedding.forward(src), o_.dropout, train, o_.gen);
    if (encoder_gru) {
        nn::RNNResult r = (*encoder_gru)(x, Tensor(), m.lengths);
        m.outputs = r.output, m.h_n = r.h_n;
    } else {
        nn::LSTMResult r = (*encoder_lstm)(x, Tensor(), Tensor(), m.lengths);
        m.outputs = r.output, m.h_n = r.h_n, m.c_n = r.c_n;
    }
    std::vector<double> mask(N * S, 0.0);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t s = m.lengths[n]; s < S; ++s)
            mask[n * S + s] = -std::numeric_limits<double>::infinity();
    m.score_mask = from_vector(mask, {N, S}, m.outputs.dtype());
    if (attention) m.keys = attention->project_keys(m.outputs);  // (N, S, H)
    if (attention_proj) m.keys = attention_proj->forward(m.outputs);
    return m;
}

DecoderState Seq2Seq::initial_state(const EncoderMemory& m) {
    const std::int64_t L = o_.num_layers, H = o_.hidden_size, N = m.h_n.size(1);
    // (L·D, N, H) -> (L, N, H); a bidirectional encoder's directions side by side, bridged.
    auto join = [&](const Tensor& s, nn::Linear* bridge, bool squash) {
        if (!bridge) return s;
        Tensor d = s.reshape({L, 2, N, H});
        Tensor j = bridge->forward(cat({d.select(1, 0), d.select(1, 1)}, -1));  // (L, N, H)
        return squash ? tanh(j) : j;
    };
    DecoderState st;
    Tensor h = join(m.h_n, bridge_h.get(), true);
    for (std::int64_t l = 0; l < L; ++l) st.h.push_back(h.select(0, l));
    if (o_.cell == RecurrentCell::LSTM) {
        Tensor c = join(m.c_n, bridge_c.get(), false);
        for (std::int64_t l = 0; l < L; ++l) st.c.push_back(c.select(0, l));
    }
    return st;
}

DecoderStep Seq2Seq::decode_step(const Tensor& token, DecoderState& st, const EncoderMemory& m) {
    const bool train = is_training();
    // token: (N) -> (N, E)
    Tensor x = dropout(tgt_embedding.forward(token), o_.dropout, train, o_.gen);
    DecoderStep out;
    Tensor context;  // (N, D·H)
    if (o_.attention != Seq2SeqAttention::None) {
        const Tensor& query = st.h.back();  // (N, H): the top layer's previous state
        if (attention) {
            nn::AdditiveAttentionOutput a =
                attention->attend(query, m.keys, m.outputs, m.score_mask);
            context = a.context, out.weights = a.weights;
        } else {
            // (N, S, H) @ (N, H, 1) -> scores (N, S)
            Tensor scores = matmul(m.keys, query.unsqueeze(-1)).squeeze(-1) + m.score_mask;
            out.weights = softmax(scores, -1);
            context = matmul(out.weights.unsqueeze(1), m.outputs).squeeze(1);  // (N, D·H)
        }
        x = cat({x, context}, 1);
    }
    for (std::int64_t l = 0; l < o_.num_layers; ++l) {
        if (o_.cell == RecurrentCell::GRU) {
            st.h[l] = decoder_cells.at<nn::GRUCell>(l)(x, st.h[l]);
        } else {
            nn::LSTMState s = decoder_cells.at<nn::LSTMCell>(l)(x, st.h[l], st.c[l]);
            st.h[l] = s.h, st.c[l] = s.c;
        }
        x = st.h[l];
        if (l + 1 < o_.num_layers) x = dropout(x, o_.dropout, train, o_.gen);
    }
    // [s_t, c_t]: (N, H + D·H) -> (N, tgt_vocab)
    Tensor features = context.defined() ? cat({x, context}, 1) : x;
    out.logits = readout.forward(dropout(features, o_.dropout, train, o_.gen));
    return out;
}

Tensor Seq2Seq::forward(const Tensor& src, const nn::Lengths& src_lengths, const Tensor& tgt_in,
                        double teacher_forcing_ratio, Generator* gen) {
    detail::check_token_ids(kName, tgt_in, o_.tgt_vocab, "tgt_in");
    check(tgt_in.size(1) > 0, kName, ": empty tgt_in ", tgt_in.shape(), " (it starts with <sos>)");
    check(teacher_forcing_ratio >= 0 && teacher_forcing_ratio <= 1, kName,
          ": teacher_forcing_ratio must be in [0, 1], got ", teacher_forcing_ratio);
    EncoderMemory m = encode(src, src_lengths);
    check(tgt_in.size(0) == src.size(0), kName, ": source has ", src.size(0),
          " rows but tgt_in has ", tgt_in.size(0));
    DecoderState st = initial_state(m);
    std::vector<Tensor> logits;  // T of (N, V)
    Tensor token = tgt_in.select(1, 0).contiguous();
    for (std::int64_t t = 0; t < tgt_in.size(1); ++t) {
        if (t > 0) {
            const bool teach =
                teacher_forcing_ratio >= 1 ||
                (teacher_forcing_ratio > 0 && rand({}, gen).item() < teacher_forcing_ratio);
            token = teach ? tgt_in.select(1, t).contiguous() : argmax(logits.back().detach(), 1);
        }
        logits.push_back(decode_step(token, st, m).logits);
    }
    return stack(logits, 1);  // (N, T, V)
}

// ---- helpers

Tensor pad_sequences(const std::vector<std::vector<std::int64_t>>& rows, std::int64_t pad_id) {
    check(!rows.empty(), "pad_sequences: no rows");
    std::size_t T = 0;
    for (const auto& r : rows) T = std::max(T, r.size());
    std::vector<std::int64_t> out(rows.size() * T, pad_id);
    for (std::size_t n = 0; n < rows.size(); ++n)
        std::copy(rows[n].begin(), rows[n].end(), out.begin() + n * T);
    return from_vector(out, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(T)});
}

std::pair<Tensor, Tensor> shift_targets(const std::vector<std::vector<std::int64_t>>& targets,
                                        std::int64_t sos_id, std::int64_t eos_id,
                                        std::int64_t pad_id) {
    std::vector<std::vector<std::int64_t>> in, out;
    for (const auto& y : targets) {
        in.push_back({sos_id});
        in.back().insert(in.back().end(), y.begin(), y.end());
        out.push_back(y);
        out.back().push_back(eos_id);
    }
    return {pad_sequences(in, pad_id), pad_sequences(out, pad_id)};
}

Tensor sequence_loss(const Tensor& logits, const Tensor& target, std::int64_t pad_id) {
    check(logits.defined() && logits.dim() == 3, "sequence_loss: logits must be (N, T, V); got ",
          logits.defined() ? logits.shape() : Shape{});
    check(target.defined() && target.dtype() == kInt64 &&
              target.shape() == Shape{logits.size(0), logits.size(1)},
          "sequence_loss: target must be int64 (N, T) = ", Shape{logits.size(0), logits.size(1)},
          "; got ", target.defined() ? target.shape() : Shape{});
    // cross_entropy would give NaN; say why instead.
    const std::vector<std::int64_t> ids = target.to_vector<std::int64_t>();
    check(std::any_of(ids.begin(), ids.end(), [&](std::int64_t t) { return t != pad_id; }),
          "sequence_loss: every target is padding");
    return nn::cross_entropy(logits.reshape({-1, logits.size(2)}), target.reshape({-1}),
                             nn::Reduction::Mean, 0.0, Tensor(), pad_id);
}

}  // namespace soma::models
