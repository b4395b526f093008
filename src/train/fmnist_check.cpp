#include "soma/train/fmnist_check.h"

#include "soma/models/classifier.h"
#include "soma/random.h"
#include "train/fmnist_parts.h"

namespace soma::train {

CheckSubject fmnist_check_subject(const FmnistOptions& options) {
    FmnistOptions o = options;
    if (o.batch_size <= 0) o.batch_size = models::fmnist_default_batch_size(o.model);
    fmnist_detail::check_options(o);
    CheckSubject s{.make =
                       [o](std::uint64_t seed) {
                           manual_seed(seed);
                           std::shared_ptr<nn::Module> model = models::fmnist_model(o.model);
                           std::shared_ptr<optim::Optimizer> opt =
                               fmnist_detail::make_optimizer(o, model->parameters());
                           return CheckSetup{.model = model,
                                             .optimizers = {opt},
                                             .train_step = classification_step(*model, {opt.get()},
                                                                               o.label_smoothing),
                                             .loss = cross_entropy_loss_fn()};
                       },
                   .train = fmnist_normalized(data::datasets::Split::Train, o.root),
                   .test = fmnist_normalized(data::datasets::Split::Test, o.root),
                   .task = TaskKind::Classification,
                   .classes = 10};
    return s;
}

}  // namespace soma::train
