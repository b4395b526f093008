#include "soma/models/tabular_check.h"

#include "models/tabular_parts.h"
#include "soma/optim/adam.h"
#include "soma/random.h"

namespace soma::models {

train::CheckSubject tabular_check_subject(const TabularSettings& settings) {
    using namespace tabular_detail;
    const TabularSettings s = settings;
    check_settings(s);
    const data::TextTable table = data::read_table(s.file);
    const Split split = split_rows(table.size(), s.val_fraction, s.seed);
    data::TableOptions topt{.target = s.target, .ignore = parse_names(s.ignore)};
    if (s.task != "auto") topt.task = data::parse_task(s.task);
    const data::TableEncoding enc = data::fit_encoding(table, split.train, topt);
    const bool classify = enc.task == data::Task::Classification;
    const data::TextTable train_rows = select_rows(table, split.train);
    // x: (N, enc.width()) float32; y: (N, 1) float32 standardised, or (N) int64 classes.
    auto train =
        std::make_shared<data::TensorDataset>(enc.transform(train_rows), enc.targets(train_rows));
    std::shared_ptr<data::TensorDataset> val;
    if (!split.val.empty()) {
        const data::TextTable val_rows = select_rows(table, split.val);
        val = std::make_shared<data::TensorDataset>(enc.transform(val_rows), enc.targets(val_rows));
    }
    const train::LossFn loss = classify
                                   ? train::cross_entropy_loss_fn()
                                   : train::LossFn([](const Tensor& out, const data::Example& b) {
                                         return Regressor::loss(out, b.target);
                                     });
    return {.make =
                [s, enc, classify, loss](std::uint64_t seed) {
                    manual_seed(seed);
                    TabularModel m = TabularModel::create(enc, {.hidden = parse_widths(s.hidden),
                                                                .dropout = s.dropout,
                                                                .batch_norm = s.batch_norm,
                                                                .residual = s.residual});
                    auto opt = std::make_shared<optim::Adam>(
                        m.net->parameters(),
                        optim::AdamOptions{.lr = s.lr, .weight_decay = s.weight_decay});
                    std::shared_ptr<nn::Module> net = m.net;
                    return train::CheckSetup{
                        .model = net,
                        .optimizers = {opt},
                        .train_step = classify ? train::classification_step(*net, {opt.get()})
                                               : train::loss_step(*net, {opt.get()}, loss),
                        .loss = loss};
                },
            .train = train,
            .test = val,
            .task = classify ? train::TaskKind::Classification : train::TaskKind::Regression,
            .classes = classify ? std::int64_t(enc.classes.size()) : 0};
}

}  // namespace soma::models
