#pragma once
// TransformerSeq2Seq: the encoder-decoder of "Attention is all you need" (Vaswani et al. 2017)
// for token sequences, the attention-only sibling of models::Seq2Seq. It trains and decodes
// through the same API: pad_sequences / shift_targets / sequence_loss for training, and
// greedy_decode / beam_search returning models::Hypothesis with the same semantics.
//
//   models::TransformerSeq2Seq model({.src_vocab = 8, .tgt_vocab = 9, .d_model = 32, .nhead = 4});
//   auto [tgt_in, tgt_out] = models::shift_targets(targets, sos, eos, pad);  // (N, T) each
//   Tensor logits = model.forward(src, {}, tgt_in);       // (N, S), (N, T) -> (N, T, 9)
//   Tensor loss = models::sequence_loss(logits, tgt_out, pad);
//   model.eval();
//   auto best = model.beam_search(src, {}, {.beam = 5, .max_len = 20});  // per source, nbest
//
// Both sides embed their tokens, scale the embeddings by sqrt(d_model) and add the positional
// encoding (one module shared by both sides; dropout after the sum). The encoder
// (nn::TransformerEncoder) reads the source; the decoder (nn::TransformerDecoder) reads the
// target prefix under a causal mask and attends to the encoder's output (the memory); a linear
// readout maps its output to the target vocabulary. As in torch.nn.Transformer, both stacks end
// in a LayerNorm (the pre-norm stacks need it; the post-norm ones keep it for the same state
// dict names: encoder.layers.0..., encoder.norm, decoder.layers.0..., decoder.norm), and every
// matrix of the stacks is drawn Xavier-uniform. The embeddings are drawn from
// N(0, 1/d_model), so that after the sqrt(d_model) scale they have unit variance, the
// positional encoding's scale.
//
// Variable lengths: src_lengths (one per row, each in [1, S]) tells where each source ends;
// when none are given, a row ends before its first pad_id. The source's padded positions are
// masked out of the encoder's self-attention and of the decoder's cross-attention (key padding
// masks), and the target's pad_id positions out of the decoder's self-attention, so a row of a
// padded batch gives what it gives alone (up to float rounding).
//
// Decoding caches: decode_step feeds one token per row and keeps, per decoder layer, the rows
// its self-attention reads as keys and values at the positions decoded so far. Since a causal
// decoder's output at a position never changes once written, each step computes the new
// position only (its self-attention projects the cached rows again, which is cheap beside
// recomputing every layer over the prefix). decode_step reproduces the teacher-forced
// forward's logits position by position (the tests hold it to that).
//
// Hypothesis::attention is the last decoder layer's cross-attention weights averaged over the
// heads: (steps, source length), float32.
//
// Parameters are drawn from `gen` (or the default generator); dropout draws its masks from it
// too and acts in training mode only. greedy_decode and beam_search run under NoGrad and do not
// change the mode: call eval() first.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/models/seq2seq.h"
#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/nn/rnn.h"
#include "soma/nn/transformer.h"

namespace soma::models {

enum class PositionalEncoding { Sinusoidal, Learned };

struct TransformerSeq2SeqOptions {
    std::int64_t src_vocab = 0, tgt_vocab = 0;  // token ids are in [0, vocab)
    std::int64_t d_model = 64, nhead = 4;       // nhead must divide d_model
    std::int64_t num_encoder_layers = 2, num_decoder_layers = 2;
    std::int64_t dim_feedforward = 256;
    double dropout = 0.1;  // after the positional encoding and inside every layer
    nn::TransformerActivation activation = nn::TransformerActivation::ReLU;
    bool norm_first = false;  // pre-norm layers
    PositionalEncoding positional = PositionalEncoding::Sinusoidal;
    std::int64_t max_len = 256;  // the longest source, tgt_in or decoding (max_len steps) accepted
    // pad_id marks padding in sources and targets; sos_id and eos_id are target ids. pad_id
    // must differ from sos_id: the decoder masks pad_id positions, and its input starts with
    // <sos>.
    std::int64_t pad_id = 0, sos_id = 1, eos_id = 2;
    // One embedding table for both sides (src_vocab must equal tgt_vocab): src_embedding.weight
    // and tgt_embedding.weight are the same tensor, listed once by parameters() and under both
    // names in the state dict, like tied weights in PyTorch.
    bool share_embeddings = false;
    Generator* gen = nullptr;  // initialisation and dropout; null: the default generator
};

// What the decoder reads from the encoder.
struct TransformerMemory {
    Tensor memory;            // (N, S, d_model): the encoder's output (after its final norm)
    Tensor key_padding_mask;  // (N, S) int64: 1 at padding (nn::MultiheadAttention's convention)
    std::vector<std::int64_t> lengths;
};

// The decoder's cache, one row per sequence being decoded; initial_state gives the empty one.
struct TransformerDecoderState {
    Tensor tokens;  // (B, t) int64: the tokens fed so far (<sos> first); undefined at t = 0
    std::vector<Tensor> keys;  // per decoder layer (B, t, d_model): what its self-attention
                               // reads as keys and values (its input; normalised with norm_first)
};

class TransformerSeq2Seq : public nn::Module {
public:
    explicit TransformerSeq2Seq(TransformerSeq2SeqOptions o);

    // Teacher forcing. src: (N, S) int64; tgt_in: (N, T) int64, each row <sos> y_1 ... y_{T-1}
    // (padded with pad_id) -> logits (N, T, tgt_vocab) for y_1 ... y_T; position t reads
    // tgt_in[:, :t+1] only.
    Tensor forward(const Tensor& src, const nn::Lengths& src_lengths, const Tensor& tgt_in);

    // Argmax decoding, all rows at once, up to max_len steps each (max_len <= options' max_len);
    // one hypothesis per row (score = log_prob).
    std::vector<Hypothesis> greedy_decode(const Tensor& src, const nn::Lengths& src_lengths = {},
                                          std::int64_t max_len = 50);
    // Beam search, as Seq2Seq::beam_search: each step expands every hypothesis by every token and
    // keeps the `beam` most probable; a hypothesis that writes <eos> among the top `beam`
    // candidates is finished, and a row's search ends when `beam` hypotheses are finished or
    // after max_len steps (the unfinished ones then compete too). Returns up to nbest hypotheses
    // per row, best score (log_prob / length^alpha) first. Every row's hypotheses decode as one
    // batch. beam = 1 gives greedy_decode's sequences.
    std::vector<std::vector<Hypothesis>> beam_search(const Tensor& src,
                                                     const nn::Lengths& src_lengths = {},
                                                     BeamSearchOptions o = {});

    // The pieces, for callers that drive the decoder themselves.
    TransformerMemory encode(const Tensor& src, const nn::Lengths& src_lengths = {});
    TransformerDecoderState initial_state(const TransformerMemory& memory) const;
    // token: (B) int64, the next token of each row (<sos> first); B = the memory's rows (select
    // them with index_select to decode a row several times). Appends it to `state` and returns
    // the logits (B, tgt_vocab) for the token after it, and the weights (B, S) described above.
    DecoderStep decode_step(const Tensor& token, TransformerDecoderState& state,
                            const TransformerMemory& memory);

    std::string type_name() const override { return "TransformerSeq2Seq"; }
    std::string extra_repr() const override;
    void visit(nn::Visitor& v) override;

    const TransformerSeq2SeqOptions& options() const { return o_; }

    nn::Embedding src_embedding, tgt_embedding;  // (src_vocab, d), (tgt_vocab, d); padding_idx
    std::shared_ptr<nn::Module> pos_encoding;    // nn::Sinusoidal/LearnedPositionalEncoding
    nn::TransformerEncoder encoder;              // batch first, final norm
    nn::TransformerDecoder decoder;              // batch first, final norm
    nn::Linear readout;                          // d_model -> tgt_vocab

private:
    void check_ids(const Tensor& ids, std::int64_t vocab, const char* what) const;
    // ids: (N, L) -> (N, L, d_model): sqrt(d_model)·embedding + positions, dropout.
    Tensor embed(nn::Embedding& table, const Tensor& ids);
    TransformerSeq2SeqOptions o_;
};

}  // namespace soma::models
