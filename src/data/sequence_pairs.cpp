#include "soma/data/sequence_pairs.h"

#include <algorithm>

#include "soma/error.h"
#include "soma/tensor.h"

namespace soma::data {

SequencePairs::SequencePairs(std::vector<TokenSequence> sources, std::vector<TokenSequence> targets)
    : sources_(std::move(sources)), targets_(std::move(targets)) {
    check(sources_.size() == targets_.size(), "SequencePairs: ", sources_.size(), " sources but ",
          targets_.size(), " targets");
    auto valid = [](const TokenSequence& s, std::size_t i, const char* what) {
        check(!s.empty(), "SequencePairs: ", what, " ", i, " is empty");
        for (std::int32_t t : s)
            check(t >= kFirstToken, "SequencePairs: ", what, " ", i, " holds token ", t,
                  " (ids 0, 1 and 2 are padding, start and end)");
    };
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        valid(sources_[i], i, "source");
        valid(targets_[i], i, "target");
    }
}

Tensor pad_sequences(const std::vector<const TokenSequence*>& sequences, bool with_markers) {
    std::size_t longest = 0;
    for (const TokenSequence* s : sequences) longest = std::max(longest, s->size());
    const std::size_t width = longest + (with_markers ? 2 : 0);
    Tensor out =
        zeros({static_cast<std::int64_t>(sequences.size()), static_cast<std::int64_t>(width)},
              kInt64);  // kPad is 0
    std::int64_t* p = out.data<std::int64_t>();
    for (const TokenSequence* s : sequences) {
        std::int64_t* row = p;
        if (with_markers) *row++ = kSos;
        for (std::int32_t t : *s) *row++ = t;
        if (with_markers) *row = kEos;
        p += width;
    }
    return out;
}

Example SequencePairs::get(std::int64_t i) const {
    check(i >= 0 && i < size(), "SequencePairs::get: index ", i, " out of range for ", size(),
          " pairs");
    const auto k = static_cast<std::size_t>(i);
    return {pad_sequences({&sources_[k]}, false).squeeze(0),
            pad_sequences({&targets_[k]}, true).squeeze(0)};
}

Example SequencePairs::get_batch(const std::vector<std::int64_t>& indices) const {
    std::vector<const TokenSequence*> src, tgt;
    for (std::int64_t i : indices) {
        check(i >= 0 && i < size(), "SequencePairs::get_batch: index ", i, " out of range for ",
              size(), " pairs");
        src.push_back(&sources_[static_cast<std::size_t>(i)]);
        tgt.push_back(&targets_[static_cast<std::size_t>(i)]);
    }
    return {pad_sequences(src, false), pad_sequences(tgt, true)};
}

}  // namespace soma::data
