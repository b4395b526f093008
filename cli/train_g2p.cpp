// soma train g2p: pronouncing English words (grapheme-to-phoneme) on the CMU dictionary.
//   soma train g2p --epochs 20 --out out/g2p
//   soma train g2p --resume out/g2p/checkpoint.safetensors --epochs 30
//   soma g2p out/g2p/best.safetensors soma tensor          (then: pronounce new words)

#include <soma/threading.h>
#include <soma/train/g2p.h>

#include <iomanip>
#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    train::G2POptions o{.out_dir = "out/g2p"};
    int threads = 0;
    CLI::App* app = nullptr;
};

int run(Args& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    const train::G2POptions o = on_console(a.o, *a.app);
    const train::G2PRun run = train::train_g2p(o);
    if (run.interrupted) return report_stopped("g2p", run.checkpoint, o.epochs);
    std::cout << "\n(" << run.dropped_lines
              << " dictionary entries with characters outside a-z and ' were left out)\n"
              << std::fixed << std::setprecision(2)  // "27.60%", as the field reports
              << "test: word error rate " << 100 * run.test.word_error_rate()
              << "%, phoneme error rate " << 100 * run.test.phoneme_error_rate() << "% ("
              << run.test.words() << " words, beam " << o.beam << ", the " << run.tested << ")\n";
    if (!o.out_dir.empty())
        std::cout << "wrote " << o.out_dir
                  << "/{checkpoint.safetensors, best.safetensors, metrics.jsonl, curves.svg}\n";
    return 0;
}

}  // namespace

Command add_train_g2p(CLI::App& train_app, const Globals& /*globals*/) {
    CLI::App* app = train_app.add_subcommand(
        "g2p", "Grapheme-to-phoneme: a seq2seq model pronouncing the CMU dictionary's words");
    auto a = std::make_shared<Args>();
    a->app = app;
    train::G2POptions& o = a->o;
    const auto positive = CLI::Range(std::int64_t{1}, std::int64_t{1} << 20);
    app->add_option("--epochs", o.epochs, "Epochs in total (also when resuming)")
        ->check(positive)
        ->capture_default_str();
    app->add_option("--batch-size", o.batch_size, "Pronunciations per batch")
        ->check(positive)
        ->capture_default_str();
    app->add_option("--lr", o.lr, "Adam's learning rate (the peak of the cosine schedule)")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--schedule", o.schedule, "none, or cosine (to lr/50)")
        ->check(CLI::IsMember({"none", "cosine"}))
        ->capture_default_str();
    app->add_option("--cell", o.cell, "Recurrent cell: gru or lstm")
        ->check(CLI::IsMember({"gru", "lstm"}))
        ->capture_default_str();
    app->add_option("--attention", o.attention, "additive (Bahdanau), dot (Luong) or none")
        ->check(CLI::IsMember({"additive", "dot", "none"}))
        ->capture_default_str();
    app->add_option("--hidden", o.hidden_size, "Hidden size of the recurrent layers")
        ->check(positive)
        ->capture_default_str();
    app->add_option("--embed", o.embed_dim, "Size of the letter and phoneme embeddings")
        ->check(positive)
        ->capture_default_str();
    app->add_option("--layers", o.num_layers, "Recurrent layers of encoder and decoder")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{16}))
        ->capture_default_str();
    app->add_option("--bidirectional", o.bidirectional, "Bidirectional encoder (true/false)")
        ->capture_default_str();
    app->add_option("--dropout", o.dropout, "Dropout in [0, 1)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    app->add_option("--seed", o.seed, "Seed for the split, initialisation, dropout and order")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--patience", o.patience,
                    "Early stopping: epochs without a better validation WER (0: off)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--beam", o.beam, "Beam width for the test words")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{64}))
        ->capture_default_str();
    app->add_option("--test-size", o.test_size, "Decode only this many test words (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--select", o.select,
                    "Weights the test words see once at the end: best (validation WER) or last")
        ->check(CLI::IsMember({"last", "best"}))
        ->capture_default_str();
    add_out_and_resume(*app, o.out_dir, o.resume, "Directory for checkpoint, metrics and curves");
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    app->add_option("--dict", o.dict, "The pronouncing dictionary (CMUdict format)")
        ->check(CLI::ExistingFile)
        ->capture_default_str();
    return {app, [a] { return run_training("g2p", [&] { return run(*a); }); }};
}

}  // namespace soma::cli
