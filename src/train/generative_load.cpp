// load_generative: a VAE or GAN rebuilt from the settings in its checkpoint's metadata, and
// sampling from it.

#include "generative_detail.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/ops.h"

namespace soma::train {

Tensor GenerativeModel::sample(std::int64_t n, Generator& gen) {
    check(n >= 1, "sample: the number of samples must be >= 1, got ", n);
    check(vae || gan, "sample: the model is empty");
    NoGrad no_grad;
    // Eval mode: batch norm (DCGAN) uses its running statistics, so a sample does not depend on
    // the others drawn with it (and n = 1 works).
    nn::Module& net = vae ? static_cast<nn::Module&>(*vae) : *gan->generator;
    const bool was_training = net.is_training();
    net.eval();
    Tensor out;
    if (vae) {
        out = vae->sample(n, &gen);  // sigmoid of the logits: [0, 1]
    } else {
        out = gan->generator->forward(randn({n, gan->options().latent_dim}, &gen));
        if (images()) out = clamp((out + 1.0) * 0.5, 0.0, 1.0);  // Tanh's [-1, 1] -> [0, 1]
    }
    net.train(was_training);
    return images() ? out.reshape({n, 1, 28, 28}) : out;
}

GenerativeModel load_generative(const std::string& path) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    auto kind = meta.find(detail::kKindKey);
    check(kind != meta.end() && (kind->second == "vae" || kind->second == "gan"), path,
          " is not a checkpoint of soma train vae or gan (its metadata names no kind)");
    GenerativeModel m;
    m.kind = kind->second;
    nn::Module* module = nullptr;
    if (m.kind == "vae") {
        VaeRunOptions o;
        from_metadata(fields_of(o), meta, path);
        detail::resolve(o);
        m.dataset = o.dataset, m.model = o.model;
        m.vae = detail::build_vae(o);
        module = m.vae.get();
    } else {
        GanRunOptions o;
        from_metadata(fields_of(o), meta, path);
        detail::resolve(o);
        m.dataset = o.dataset, m.model = o.model;
        m.gan = detail::build_gan(o);
        module = m.gan.get();
    }
    auto format = meta.find("soma.format");
    if (format != meta.end() && format->second == "checkpoint")
        io::load_checkpoint(path, *module);
    else
        io::load_module(*module, path);  // best.safetensors
    return m;
}

}  // namespace soma::train
