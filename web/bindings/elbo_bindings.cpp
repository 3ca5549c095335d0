// The negative ELBO's three terms (seed 004 eq. 8-10): reconstruction L_0, prior matching L_T and
// the denoising matching terms L_t, evaluated incrementally (one term for one block of examples
// per unit of work) so the worker can run it in slices.
#include <emscripten/bind.h>

#include "executor.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

// points: the examples x_0 in data units (flat n*2); options: { strata (0: exact, every t),
// variance ("fixed_small" | "fixed_large"), seed, batch (examples per unit), draws (Monte Carlo
// draws averaged per example and term, default 1) }.
val ModelHandle::elbo(val points, val options) const {
  return guarded([&] {
    // The bound is of the diffusion chain's Gaussian steps (seed 004); a flow-matching model has no
    // such chain, and its likelihood would come from its own ODE, which the core does not have yet.
    if (diffusion.objective == Objective::flow) {
      fail("the ELBO bounds a diffusion model's likelihood; this is a flow-matching model, which has no ",
           "diffusion chain to bound");
    }
    const SettingsReader o(options);
    ElboConfig config;
    config.strata = static_cast<int>(o.integer("strata", 0, 0, schedule.T - 1));
    config.variance = reverse_variances.value(o.text("variance", reverse_variances.name(config.variance)));
    config.batch = static_cast<std::size_t>(o.integer("batch", 256, 1, 65536));
    config.draws = static_cast<int>(o.integer("draws", 1, 1, elbo_max_draws));
    if (normalization.discrete()) {
      config.levels = normalization.levels;
    } else {
      config.log_std_sum = -normalization_log_det_jacobian(normalization);
    }
    elbo_config_validate(config, schedule.T);
    const Tensor2 x0 = normalization_apply(normalization, points_from_js(points, dims(), "ELBO examples"));
    auto handle = std::make_unique<ElboHandle>();
    handle->schedule = schedule;
    handle->denoiser = denoiser->clone();
    handle->evaluator = std::make_unique<ElboEvaluator>(*handle->denoiser, handle->schedule, config,
                                                        x0, o.seed("seed", 0));
    val out = val::object();
    out.set("unitsTotal", handle->evaluator->units_total());
    out.set("elbo", val(std::move(handle)));
    return out;
  });
}

val ElboHandle::advance(int units) {
  return guarded([&] {
    if (units < 1) fail("advance(units): units = ", units, " is invalid: must be >= 1");
    evaluator->advance(units, page_executor());
    val out = val::object();
    out.set("unitsDone", evaluator->units_done());
    out.set("unitsTotal", evaluator->units_total());
    out.set("done", evaluator->done());
    return out;
  });
}

val ElboHandle::result() const {
  return guarded([&] {
    const ElboResult r = evaluator->result();
    val out = val::object();
    out.set("examples", static_cast<double>(r.examples));
    out.set("dims", static_cast<double>(r.dims));
    out.set("draws", r.draws);
    out.set("prior", r.prior);          // L_T
    out.set("diffusion", r.diffusion);  // sum of L_t, t = 1..T-1
    out.set("decoder", r.decoder);      // L_0
    out.set("nllNats", r.nll_bound_nats);
    out.set("nllDataNats", r.nll_bound_data_nats);
    out.set("bitsPerDim", r.bits_per_dim);
    out.set("standardError", r.standard_error);
    out.set("monteCarloStandardError", r.monte_carlo_standard_error);
    out.set("perT", to_typed_array(r.per_t));
    return out;
  });
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_elbo) {
  using diffuse::web::ElboHandle;
  emscripten::class_<ElboHandle>("Elbo")
      .function("advance", &ElboHandle::advance)
      .function("result", &ElboHandle::result);
}
