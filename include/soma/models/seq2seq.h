#pragma once
// Seq2Seq: a recurrent encoder-decoder (Sutskever et al. 2014) with optional attention
// (Bahdanau et al. 2015; Luong et al. 2015), as the lecture's "Sequence-to-Sequence Learning"
// slide draws it. The encoder (embedding + GRU or LSTM, optionally bidirectional) reads a padded
// batch of source sequences; the decoder (embedding + a stack of cells + attention over the
// encoder's outputs + a linear readout) writes the target one token at a time, starting from
// <sos>, until it writes <eos>.
//
//   models::Seq2Seq model({.src_vocab = 8, .tgt_vocab = 9, .embed_dim = 16, .hidden_size = 64});
//   auto [tgt_in, tgt_out] = models::shift_targets(targets, sos, eos, pad);  // (N, T) each
//   Tensor logits = model.forward(src, {}, tgt_in);       // (N, S), (N, T) -> (N, T, 9)
//   Tensor loss = models::sequence_loss(logits, tgt_out, pad);
//   model.eval();
//   auto best = model.beam_search(src, {}, {.beam = 5, .max_len = 20});  // per source, nbest
//
// Each decoder step t: the attention reads the encoder's outputs with the top layer's previous
// state as query (the context c_t), the first cell takes [embedding(y_{t-1}), c_t], and the
// readout maps [s_t, c_t] (s_t: the top layer's new state) to the logits. Without attention the
// cells take the embedding alone and the readout s_t. The decoder starts from the encoder's
// final states, layer by layer; a bidirectional encoder's two directions are joined by a
// linear map ("bridge", tanh for h) to the decoder's size.
//
// Attention: Additive is nn::AdditiveAttention (score vᵀ tanh(W_q s + W_k h)); Dot is Luong's
// multiplicative score sᵀ W h (W maps the encoder's outputs to the decoder's size, so it works
// for a bidirectional encoder too).
//
// Variable lengths: src_lengths (one per row, each in [1, S]) tells where each source ends;
// when none are given, a row ends before its first pad_id. Padding never reaches a result: the
// encoder stops at each row's end (nn::GRU/LSTM with lengths) and attention masks the padded
// positions out, so a row of a padded batch decodes exactly as it would alone.
//
// Parameters are drawn from `gen` (or the default generator); dropout (embeddings, between
// layers, before the readout) draws its masks from it too and acts in training mode only.
// greedy_decode and beam_search run under NoGrad and do not change the mode: call eval() first.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "soma/nn/additive_attention.h"
#include "soma/nn/container.h"
#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/nn/rnn.h"

namespace soma::models {

enum class RecurrentCell { GRU, LSTM };
enum class Seq2SeqAttention { None, Additive, Dot };

struct Seq2SeqOptions {
    std::int64_t src_vocab = 0, tgt_vocab = 0;  // token ids are in [0, vocab)
    std::int64_t embed_dim = 32, hidden_size = 64, num_layers = 1;
    RecurrentCell cell = RecurrentCell::GRU;
    Seq2SeqAttention attention = Seq2SeqAttention::Additive;
    double dropout = 0;          // on embeddings, between layers and before the readout
    bool bidirectional = false;  // the encoder
    // pad_id marks padding in sources and targets; sos_id and eos_id are target ids.
    std::int64_t pad_id = 0, sos_id = 1, eos_id = 2;
    Generator* gen = nullptr;  // initialisation and dropout; null: the default generator
};

// One decoded sequence.
struct Hypothesis {
    std::vector<std::int64_t> tokens;  // without <sos> and <eos>
    double log_prob = 0;               // Σ log p of each token written, <eos> included
    double score = 0;                  // log_prob / length^alpha (length counts <eos>)
    bool finished = false;             // ended with <eos>, not cut at max_len
    Tensor attention;                  // (steps, source length): each step's attention weights
                                       // (float32); undefined without attention
};

struct BeamSearchOptions {
    std::int64_t beam = 5;        // hypotheses kept per step
    std::int64_t max_len = 50;    // decoding steps at most (<eos> included)
    double length_penalty = 1.0;  // alpha: hypotheses are ranked by log_prob / length^alpha
    std::int64_t nbest = 1;       // hypotheses returned per source, best first (<= beam)
};

// What the decoder reads: the encoder's outputs and masks, and its starting state.
struct EncoderMemory {
    Tensor outputs;     // (N, S, D·H), zero past each row's length (D = 2 bidirectional)
    Tensor keys;        // (N, S, A): the outputs projected for attention; or undefined
    Tensor score_mask;  // (N, S): -inf at padding, 0 elsewhere (the outputs' dtype)
    Tensor h_n, c_n;    // the encoder's final states (num_layers·D, N, H); c_n: LSTM only
    std::vector<std::int64_t> lengths;
};
struct DecoderState {
    std::vector<Tensor> h, c;  // per layer (N, H); c only for LSTM
};
struct DecoderStep {
    Tensor logits;   // (N, tgt_vocab)
    Tensor weights;  // (N, S) attention weights, or undefined
};

class Seq2Seq : public nn::Module {
public:
    explicit Seq2Seq(Seq2SeqOptions o);

    // src: (N, S) int64; tgt_in: (N, T) int64, each row <sos> y_1 ... y_{T-1} (padded with
    // pad_id) -> logits (N, T, tgt_vocab) for y_1 ... y_T. At step t > 0 the decoder reads
    // tgt_in[:, t] with probability teacher_forcing_ratio (one draw from `gen` per step for
    // the whole batch; none at ratio 1 or 0), else its own previous argmax.
    Tensor forward(const Tensor& src, const nn::Lengths& src_lengths, const Tensor& tgt_in,
                   double teacher_forcing_ratio = 1.0, Generator* gen = nullptr);

    // Argmax decoding, all rows at once, up to max_len steps each; one hypothesis per row
    // (score = log_prob).
    std::vector<Hypothesis> greedy_decode(const Tensor& src, const nn::Lengths& src_lengths = {},
                                          std::int64_t max_len = 50);
    // Beam search per row: each step expands every hypothesis by every token and keeps the
    // `beam` most probable; a hypothesis that writes <eos> among the top `beam` candidates is
    // finished, and the search ends when `beam` hypotheses are finished or after max_len steps
    // (the unfinished ones then compete too). Returns up to nbest hypotheses per row, best
    // score first. beam = 1 gives greedy_decode's sequences. Each row's search is its own
    // (the same result as decoding the row alone), but the hypotheses of all rows go through
    // the decoder together, one batch per step.
    std::vector<std::vector<Hypothesis>> beam_search(const Tensor& src,
                                                     const nn::Lengths& src_lengths = {},
                                                     BeamSearchOptions o = {});

    // The pieces, for callers that drive the decoder themselves.
    EncoderMemory encode(const Tensor& src, const nn::Lengths& src_lengths = {});
    DecoderState initial_state(const EncoderMemory& memory);
    // token: (N) int64, the previous token of each row; `state` is advanced in place.
    DecoderStep decode_step(const Tensor& token, DecoderState& state, const EncoderMemory& memory);

    std::string type_name() const override { return "Seq2Seq"; }
    std::string extra_repr() const override;
    void visit(nn::Visitor& v) override;

    const Seq2SeqOptions& options() const { return o_; }

    // (src_vocab, E) and (tgt_vocab, E), padding_idx = pad_id.
    nn::Embedding src_embedding, tgt_embedding;
    std::shared_ptr<nn::GRU> encoder_gru;              // one of these two, by cell
    std::shared_ptr<nn::LSTM> encoder_lstm;            // (batch first)
    std::shared_ptr<nn::Linear> bridge_h, bridge_c;    // 2H -> H, bidirectional only (c: LSTM)
    nn::Sequential decoder_cells;                      // num_layers GRUCell or LSTMCell
    std::shared_ptr<nn::AdditiveAttention> attention;  // Additive
    std::shared_ptr<nn::Linear> attention_proj;        // Dot: W, D·H -> H, no bias
    nn::Linear readout;                                // [s_t, c_t] -> tgt_vocab

private:
    Seq2SeqOptions o_;
};

// ---- helpers for training on token sequences

// Rows of different lengths -> (N, max length) int64, padded with pad_id at the end.
Tensor pad_sequences(const std::vector<std::vector<std::int64_t>>& rows, std::int64_t pad_id);

// Targets y (without <sos>/<eos>) -> the decoder's input <sos> y and the expected output
// y <eos>, each (N, max length + 1), padded with pad_id.
std::pair<Tensor, Tensor> shift_targets(const std::vector<std::vector<std::int64_t>>& targets,
                                        std::int64_t sos_id, std::int64_t eos_id,
                                        std::int64_t pad_id);

// Mean cross-entropy over the positions of target (N, T) that are not pad_id, of logits
// (N, T, V): cross_entropy with ignore_index = pad_id. Throws when every target is padding.
Tensor sequence_loss(const Tensor& logits, const Tensor& target, std::int64_t pad_id);

}  // namespace soma::models
