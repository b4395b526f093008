// TransformerSeq2Seq: construction, the encoder, teacher-forced forward and the cached decoder
// step. Decoding (greedy and beam search) is in transformer_seq2seq_decode.cpp.

#include "soma/models/transformer_seq2seq.h"

#include <cmath>
#include <initializer_list>
#include <utility>

#include "decoding.h"
#include "soma/autograd.h"
#include "soma/nn/init.h"
#include "soma/nn/positional.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "TransformerSeq2Seq";

TransformerSeq2SeqOptions resolved(const TransformerSeq2SeqOptions& o) {
    check(o.src_vocab > 0 && o.tgt_vocab > 0, kName, ": src_vocab and tgt_vocab must be ",
          "positive, got ", o.src_vocab, " and ", o.tgt_vocab);
    check(o.d_model > 0 && o.nhead > 0 && o.d_model % o.nhead == 0, kName, ": d_model (", o.d_model,
          ") must be a positive multiple of nhead (", o.nhead, ")");
    check(o.num_encoder_layers > 0 && o.num_decoder_layers > 0, kName,
          ": num_encoder_layers and num_decoder_layers must be positive, got ",
          o.num_encoder_layers, " and ", o.num_decoder_layers);
    check(o.dim_feedforward > 0, kName, ": dim_feedforward must be positive, got ",
          o.dim_feedforward);
    check(o.dropout >= 0 && o.dropout < 1, kName, ": dropout must be in [0, 1), got ", o.dropout);
    check(o.max_len > 0, kName, ": max_len must be positive, got ", o.max_len);
    for (auto [id, what] : {std::pair{o.sos_id, "sos_id"}, std::pair{o.eos_id, "eos_id"}})
        check(id >= 0 && id < o.tgt_vocab, kName, ": ", what, " ", id, " is not a target id (",
              "tgt_vocab ", o.tgt_vocab, ")");
    check(o.pad_id >= 0 && o.pad_id < o.src_vocab && o.pad_id < o.tgt_vocab, kName, ": pad_id ",
          o.pad_id, " must be an id of both vocabularies (", o.src_vocab, " and ", o.tgt_vocab,
          ")");
    check(o.sos_id != o.eos_id, kName, ": sos_id and eos_id are both ", o.sos_id);
    check(o.pad_id != o.sos_id, kName, ": pad_id and sos_id are both ", o.pad_id,
          " (the decoder masks pad_id positions out, and its input starts with <sos>)");
    check(!o.share_embeddings || o.src_vocab == o.tgt_vocab, kName,
          ": share_embeddings needs src_vocab == tgt_vocab, got ", o.src_vocab, " and ",
          o.tgt_vocab);
    return o;
}

nn::EmbeddingOptions embedding_options(const TransformerSeq2SeqOptions& o, std::int64_t vocab) {
    return {
        .num_embeddings = vocab, .embedding_dim = o.d_model, .padding_idx = o.pad_id, .gen = o.gen};
}

nn::TransformerStackOptions stack_options(const TransformerSeq2SeqOptions& o, std::int64_t layers) {
    return {.layer = {.d_model = o.d_model,
                      .nhead = o.nhead,
                      .dim_feedforward = o.dim_feedforward,
                      .dropout = o.dropout,
                      .activation = o.activation,
                      .batch_first = true,
                      .norm_first = o.norm_first,
                      .gen = o.gen},
            .num_layers = layers,
            .norm = true};
}

std::shared_ptr<nn::Module> positional(const TransformerSeq2SeqOptions& o) {
    const nn::PositionalEncodingOptions p{
        .d_model = o.d_model, .max_len = o.max_len, .dropout = o.dropout, .gen = o.gen};
    if (o.positional == PositionalEncoding::Learned)
        return std::make_shared<nn::LearnedPositionalEncoding>(p);
    return std::make_shared<nn::SinusoidalPositionalEncoding>(p);
}

// (N, S) int64, 1 from each row's length on: a key padding mask.
Tensor padding_after(const std::vector<std::int64_t>& lengths, std::int64_t S) {
    const std::int64_t N = static_cast<std::int64_t>(lengths.size());
    std::vector<std::int64_t> mask(N * S, 0);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t s = lengths[n]; s < S; ++s) mask[n * S + s] = 1;
    return from_vector(mask, {N, S});
}

// (N, T) int64, 1 where ids holds pad_id.
Tensor padding_at(const Tensor& ids, std::int64_t pad_id) {
    std::vector<std::int64_t> v = ids.to_vector<std::int64_t>();
    for (std::int64_t& x : v) x = x == pad_id ? 1 : 0;
    return from_vector(v, ids.shape());
}

// The layer's feed-forward block without its closing dropout: (*, d) -> (*, d).
Tensor feed_forward(nn::TransformerDecoderLayer& L, const Tensor& x) {
    Tensor h = L.linear1(x);
    h = L.options().activation == nn::TransformerActivation::GELU ? gelu(h) : relu(h);
    return L.linear2(L.dropout(h));
}

}  // namespace

TransformerSeq2Seq::TransformerSeq2Seq(TransformerSeq2SeqOptions o)
    : src_embedding(embedding_options(resolved(o), o.src_vocab)),
      tgt_embedding(embedding_options(o, o.tgt_vocab)),
      pos_encoding(positional(o)),
      encoder(stack_options(o, o.num_encoder_layers)),
      decoder(stack_options(o, o.num_decoder_layers)),
      readout({.in = o.d_model, .out = o.tgt_vocab, .gen = o.gen}),
      o_(resolved(o)) {
    NoGrad no_grad;
    // N(0, 1) rows (Embedding's default) times sqrt(d_model) would swamp the positional
    // encoding, whose entries lie in [-1, 1].
    for (nn::Embedding* e : {&src_embedding, &tgt_embedding}) {
        nn::init::normal_(e->weight, 0.0, 1.0 / std::sqrt(static_cast<double>(o_.d_model)), o_.gen);
        e->weight.narrow(0, o_.pad_id, 1).zero_();
    }
    if (o_.share_embeddings) src_embedding.weight = tgt_embedding.weight;
    // torch.nn.Transformer's _reset_parameters: the stacks start from copies of one layer, and
    // this redraw also makes the layers differ.
    for (nn::Module* stack : std::initializer_list<nn::Module*>{&encoder, &decoder})
        for (Tensor& p : stack->parameters())
            if (p.dim() > 1) nn::init::xavier_uniform_(p, 1.0, o_.gen);
}

void TransformerSeq2Seq::visit(nn::Visitor& v) {
    v.module("src_embedding", src_embedding);
    v.module("tgt_embedding", tgt_embedding);
    v.module("pos_encoding", *pos_encoding);
    v.module("encoder", encoder);
    v.module("decoder", decoder);
    v.module("readout", readout);
}

std::string TransformerSeq2Seq::extra_repr() const {
    std::string s =
        "src_vocab=" + std::to_string(o_.src_vocab) +
        ", tgt_vocab=" + std::to_string(o_.tgt_vocab) + ", d_model=" + std::to_string(o_.d_model) +
        ", nhead=" + std::to_string(o_.nhead) +
        ", num_encoder_layers=" + std::to_string(o_.num_encoder_layers) +
        ", num_decoder_layers=" + std::to_string(o_.num_decoder_layers) +
        ", positional=" + (o_.positional == PositionalEncoding::Learned ? "learned" : "sinusoidal");
    if (o_.norm_first) s += ", norm_first=True";
    if (o_.share_embeddings) s += ", share_embeddings=True";
    return s;
}

void TransformerSeq2Seq::check_ids(const Tensor& ids, std::int64_t vocab, const char* what) const {
    detail::check_token_ids(kName, ids, vocab, what);
    // The positional encoding covers max_len positions.
    check(ids.size(1) <= o_.max_len, kName, ": ", what, " has ", ids.size(1),
          " positions, more than max_len ", o_.max_len);
}

Tensor TransformerSeq2Seq::embed(nn::Embedding& table, const Tensor& ids) {
    // ids: (N, L) -> (N, L, d_model)
    return pos_encoding->forward(table.forward(ids) * std::sqrt(static_cast<double>(o_.d_model)));
}

TransformerMemory TransformerSeq2Seq::encode(const Tensor& src, const nn::Lengths& src_lengths) {
    check_ids(src, o_.src_vocab, "source");
    const std::int64_t S = src.size(1);
    TransformerMemory m;
    m.lengths = detail::source_lengths(kName, src, o_.src_vocab, src_lengths, o_.pad_id);
    m.key_padding_mask = padding_after(m.lengths, S);  // (N, S)
    // src: (N, S) -> (N, S, d_model) -> memory (N, S, d_model)
    m.memory = encoder.forward(embed(src_embedding, src), Tensor(), m.key_padding_mask);
    return m;
}

Tensor TransformerSeq2Seq::forward(const Tensor& src, const nn::Lengths& src_lengths,
                                   const Tensor& tgt_in) {
    check_ids(tgt_in, o_.tgt_vocab, "tgt_in");
    check(tgt_in.size(1) > 0, kName, ": empty tgt_in ", tgt_in.shape(), " (it starts with <sos>)");
    const TransformerMemory m = encode(src, src_lengths);
    check(tgt_in.size(0) == src.size(0), kName, ": source has ", src.size(0),
          " rows but tgt_in has ", tgt_in.size(0));
    // tgt_in: (N, T) -> (N, T, d_model) -> decoder -> (N, T, d_model) -> (N, T, tgt_vocab).
    // tgt_is_causal: position t attends to positions <= t (soma needs no (T, T) mask with it).
    // Padding sits at the end of each row, so the causal mask already hides it from every real
    // position; the padding mask is PyTorch's habit and keeps stray pad_ids out too.
    Tensor y = decoder.forward(embed(tgt_embedding, tgt_in), m.memory, Tensor(), Tensor(),
                               padding_at(tgt_in, o_.pad_id), m.key_padding_mask,
                               /*tgt_is_causal=*/true);
    return readout.forward(y);
}

TransformerDecoderState TransformerSeq2Seq::initial_state(const TransformerMemory&) const {
    TransformerDecoderState st;
    st.keys.resize(static_cast<std::size_t>(decoder.num_layers()));
    return st;
}

DecoderStep TransformerSeq2Seq::decode_step(const Tensor& token, TransformerDecoderState& st,
                                            const TransformerMemory& m) {
    check(token.defined() && token.dim() == 1 && token.dtype() == kInt64, kName,
          ": decode_step takes one int64 token per row (B); got ",
          token.defined() ? token.shape() : Shape{});
    const std::int64_t B = token.size(0);
    check(m.memory.defined() && m.memory.size(0) == B, kName, ": decode_step has ", B,
          " tokens but the memory has ", m.memory.defined() ? m.memory.size(0) : std::int64_t{0},
          " rows");
    check(static_cast<std::int64_t>(st.keys.size()) == decoder.num_layers(), kName,
          ": decoder state has ", st.keys.size(), " layers, the decoder ", decoder.num_layers(),
          " (start from initial_state)");
    const std::int64_t t = st.tokens.defined() ? st.tokens.size(1) : 0;
    check(t == 0 || st.tokens.size(0) == B, kName, ": decoder state has ",
          t == 0 ? 0 : st.tokens.size(0), " rows but decode_step got ", B, " tokens");
    check(t < o_.max_len, kName, ": decoding past max_len ", o_.max_len);
    Tensor next = token.unsqueeze(1);  // (B, 1)
    check_ids(next, o_.tgt_vocab, "decode_step");
    st.tokens = t == 0 ? next : cat({st.tokens, next}, 1);  // (B, t + 1)

    // Position t's input (B, 1, d_model). The positional encodings add a row per position, so
    // embedding the whole prefix and keeping the last row is what forward computes there.
    Tensor x = embed(tgt_embedding, st.tokens).narrow(1, t, 1);
    DecoderStep out;
    // Each layer as TransformerDecoderLayer::forward computes it, for the one new position:
    // its self-attention reads the cached rows and the new one, and needs no mask (nothing
    // after t is there, and a prefix holds no padding).
    for (std::int64_t l = 0; l < decoder.num_layers(); ++l) {
        nn::TransformerDecoderLayer& L = decoder.layer(l);
        const bool pre = L.options().norm_first, last = l + 1 == decoder.num_layers();
        Tensor kv = pre ? L.norm1(x) : x;  // (B, 1, d)
        Tensor& keys = st.keys[static_cast<std::size_t>(l)];
        keys = t == 0 ? kv : cat({keys, kv}, 1);  // (B, t + 1, d)
        Tensor sa = L.dropout1(L.self_attn.forward(kv, keys, keys, Tensor(), false).output);
        Tensor a = pre ? x + sa : L.norm1(x + sa);
        // Cross-attention over the memory (B, S, d); its weights (B, 1, S) from the last layer.
        nn::MultiheadAttentionOutput c = L.multihead_attn.forward(
            pre ? L.norm2(a) : a, m.memory, m.memory, m.key_padding_mask, /*need_weights=*/last);
        Tensor ca = L.dropout2(c.output);
        Tensor b = pre ? a + ca : L.norm2(a + ca);
        Tensor ff = L.dropout3(feed_forward(L, pre ? L.norm3(b) : b));
        x = pre ? b + ff : L.norm3(b + ff);
        if (last) out.weights = c.weights.select(1, 0);  // (B, S)
    }
    if (decoder.norm) x = decoder.norm->forward(x);
    out.logits = readout.forward(x).select(1, 0);  // (B, 1, d) -> (B, tgt_vocab)
    return out;
}

}  // namespace soma::models
