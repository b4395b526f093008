#pragma once
// The gallery entries' run functions (one file each) and small helpers they share.

#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "soma/gallery/gallery.h"

namespace soma::gallery {

Result run_binary_xor(Context& ctx);         // binary_xor.cpp
Result run_perceptron(Context& ctx);         // perceptron.cpp
Result run_backprop(Context& ctx);           // backprop.cpp
Result run_activations(Context& ctx);        // activations.cpp
Result run_mlp_xor(Context& ctx);            // mlp_xor.cpp
Result run_recipes(Context& ctx);            // recipes.cpp
Result run_conv_filters(Context& ctx);       // conv_filters.cpp
Result run_fmnist_classifier(Context& ctx);  // fmnist_classifier.cpp
Result run_cos2sin(Context& ctx);            // cos2sin.cpp
Result run_bptt_gradients(Context& ctx);     // bptt_gradients.cpp
Result run_char_rnn(Context& ctx);           // char_rnn.cpp

// Whether 09_char_rnn's word list (Debian's wamerican) is installed.
bool char_rnn_data_available();

// printf into a std::string.
std::string strf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Where the sklearn CSV files are (scripts/setup.sh extracts them): $SOMA_SKLEARN_DATA, else
// the first of /var/cache/soma/sklearn, $XDG_CACHE_HOME/soma/sklearn, ~/.cache/soma/sklearn
// and python3-sklearn's own folder that holds iris.csv. Empty when none does.
std::string sklearn_data_dir();

}  // namespace soma::gallery
